"""The one place that decides what happens to a record a processor cannot decode or apply."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import faust
from faust.types import EventT, StreamT

from infra.metrics import DEAD_LETTERS, EVENTS_IN
from schemas.exceptions import DecodeError
from schemas.serde import AvroSerde
from schemas.serdes import decode_waiting_for_registry
from schemas.topics import Topics

log = logging.getLogger(__name__)

Handler = Callable[[EventT[bytes], dict[str, Any]], Awaitable[None]]


class DeadLetters:
    """Sends a bad record's original key and bytes to ``dead-letters`` with headers saying why."""

    def __init__(self, app: faust.App, service: str, prefix: str) -> None:
        self.service = service
        self.topic = app.topic(
            Topics.DEAD_LETTERS.full_name(prefix), key_serializer="raw", value_serializer="raw"
        )

    async def send(self, event: EventT[bytes], kind: str, error: BaseException) -> None:
        """Publish the dead letter, count it and log where it came from."""
        message = event.message
        headers = {
            "source-topic": message.topic.encode(),
            "source-partition": str(message.partition).encode(),
            "source-offset": str(message.offset).encode(),
            "service": self.service.encode(),
            "error-kind": kind.encode(),
            "error": repr(error)[:1000].encode(),
        }
        await self.topic.send(key=message.key, value=message.value, headers=headers)
        DEAD_LETTERS.labels(self.service, message.topic, kind).inc()
        log.warning(
            "dead letter",
            extra={
                "topic": message.topic,
                "partition": message.partition,
                "offset": message.offset,
                "kind": kind,
                "error": repr(error),
            },
        )


async def consume(stream: StreamT[bytes], serde: AvroSerde, dead: DeadLetters, handle: Handler) -> None:
    """Decode each record of ``stream`` and apply ``handle``; what fails goes to dead letters."""
    async for event in stream.events():
        EVENTS_IN.labels(dead.service, event.message.topic).inc()
        try:
            record = await decode_waiting_for_registry(serde, event.message.value)
        except DecodeError as exc:
            await dead.send(event, "decode", exc)
            continue
        try:
            await handle(event, record)
        except Exception as exc:  # noqa: BLE001 - any failure to apply one record must not stop the stream
            await dead.send(event, "apply", exc)
