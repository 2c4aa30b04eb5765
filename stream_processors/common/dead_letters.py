"""The one place that decides what happens to a record a processor cannot decode or apply."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import faust
from aiokafka.errors import KafkaError, KafkaTimeoutError
from faust.types import EventT, StreamT

from infra.metrics import DEAD_LETTERS, EVENTS_IN, PROCESSING_SECONDS
from schemas.exceptions import DecodeError
from schemas.serde import AvroSerde
from schemas.serdes import decode_waiting_for_registry
from schemas.topics import Topics

log = logging.getLogger(__name__)

Handler = Callable[[EventT[bytes], dict[str, Any]], Awaitable[None]]
RETRY_S = 1.0


def is_transient(exc: BaseException) -> bool:
    """Kafka unreachable or without quorum for now: the record is fine, try it again later."""
    return isinstance(exc, KafkaTimeoutError) or (isinstance(exc, KafkaError) and exc.retriable)


class DeadLetters:
    """Sends a bad record's original key and bytes to ``dead-letters`` with headers saying why."""

    def __init__(self, app: faust.App, service: str, prefix: str) -> None:
        self.service = service
        self.topic = app.topic(
            Topics.DEAD_LETTERS.full_name(prefix), key_serializer="raw", value_serializer="raw"
        )

    async def send(self, event: EventT[bytes], kind: str, error: BaseException | str) -> None:
        """Dead-letter the record behind ``event``."""
        message = event.message
        await self.send_raw(
            message.topic, message.partition, message.offset, message.key, message.value, kind, error
        )

    async def send_raw(
        self,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        kind: str,
        error: BaseException | str,
    ) -> None:
        """Publish a dead letter with headers naming its source, count it and log where it came from."""
        headers = {
            "source-topic": topic.encode(),
            "source-partition": str(partition).encode(),
            "source-offset": str(offset).encode(),
            "service": self.service.encode(),
            "error-kind": kind.encode(),
            "error": (error if isinstance(error, str) else repr(error))[:1000].encode(),
        }
        await self.topic.send(key=key, value=value, headers=headers)
        DEAD_LETTERS.labels(self.service, topic, kind).inc()
        log.warning(
            "dead letter",
            extra={
                "topic": topic,
                "partition": partition,
                "offset": offset,
                "kind": kind,
                "error": str(error),
            },
        )


async def consume(
    stream: StreamT[bytes], decoders: Mapping[str, AvroSerde | None], dead: DeadLetters, handle: Handler
) -> None:
    """Decode each record with its topic's serde (None: raw) and apply ``handle``.

    What cannot be decoded or applied goes to dead letters, and the stream goes on.
    """
    async for event in stream.events():
        topic = event.message.topic
        EVENTS_IN.labels(dead.service, topic).inc()
        serde = decoders[topic]
        try:
            record = {} if serde is None else await decode_waiting_for_registry(serde, event.message.value)
        except DecodeError as exc:
            await dead.send(event, "decode", exc)
            continue
        error = await apply(event, record, dead.service, handle)
        if error is not None:
            await dead.send(event, "apply", error)


async def apply(
    event: EventT[bytes], record: dict[str, Any], service: str, handle: Handler
) -> Exception | None:
    """Apply ``handle`` once it succeeds; the error if it failed for a reason of the record's own.

    A transient Kafka error (a broker down, no quorum) is retried, holding the partition back: the
    record is good, and dead-lettering it would lose an event. Handlers are idempotent, so a retry
    after a partial attempt changes no state twice (outputs may be sent again).
    """
    topic = event.message.topic
    while True:
        try:
            with PROCESSING_SECONDS.labels(service, topic).time():
                await handle(event, record)
            return None
        except Exception as exc:  # noqa: BLE001 - any failure to apply one record must not stop the stream
            if not is_transient(exc):
                return exc
            log.warning("Kafka unavailable; retrying", extra={"topic": topic, "error": repr(exc)})
            await asyncio.sleep(RETRY_S)
