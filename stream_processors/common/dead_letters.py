"""The one place that decides what happens to a record a processor cannot decode or apply."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import faust
from aiokafka.errors import KafkaError, KafkaTimeoutError
from faust.types import EventT

from infra import tracing
from infra.metrics import DEAD_LETTERS
from schemas import dead_letters, trace_context
from schemas.topics import Topics

if TYPE_CHECKING:
    from stream_processors.common.batch import Input

log = logging.getLogger(__name__)

RETRY_S = 1.0


def is_transient(exc: BaseException | None) -> bool:
    """Kafka unreachable or without quorum for now: the record is fine, try it again later.

    Follows the chain of causes: Faust's producer raises ``ProducerSendError`` from the Kafka error.
    """
    while exc is not None:
        if isinstance(exc, KafkaTimeoutError) or (isinstance(exc, KafkaError) and exc.retriable):
            return True
        exc = exc.__cause__
    return False


class DeadLetters:
    """Sends a bad record's original key and bytes to ``dead-letters`` with headers saying why."""

    def __init__(self, app: faust.App, service: str, prefix: str) -> None:
        self.service = service
        self.topic = app.topic(
            Topics.DEAD_LETTERS.full_name(prefix), key_serializer="raw", value_serializer="raw"
        )

    async def send_input(self, item: Input, kind: str, error: BaseException | str) -> None:
        """Dead-letter a record of a batch (``runtime.Input``)."""
        raw = item.event.message.key  # the key as it came, even when it was not UTF-8
        key = raw if isinstance(raw, bytes) else _key_bytes(item.key)
        trace = item.trace_headers or tracing.forwarded(item.event.message.headers)
        original = item.event.message.headers
        await self.send_raw(
            item.topic, item.partition, item.offset, key, item.value, kind, error, trace, original
        )

    def where(self, item: Input, error: str) -> dict[str, str | int]:
        """Log fields naming a record's topic, partition and offset, and an error."""
        return {"topic": item.topic, "partition": item.partition, "offset": item.offset, "error": error}

    async def send(self, event: EventT[bytes], kind: str, error: BaseException | str) -> None:
        """Dead-letter the record behind ``event``."""
        message = event.message
        trace = tracing.forwarded(message.headers)
        await self.send_raw(
            message.topic,
            message.partition,
            message.offset,
            message.key,
            message.value,
            kind,
            error,
            trace,
            message.headers,
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
        trace: Sequence[tuple[str, bytes]] = (),
        original: Iterable[tuple[str, bytes]] | Mapping[str, bytes] | None = None,
    ) -> None:
        """Publish a dead letter with headers naming its source, count it and log where it came from.

        ``trace``: the trace headers of its processing, so the dead letter stays on its trace;
        ``original``: the source record's headers, kept so a re-drive sends them back
        (``schemas.dead_letters``); its own trace headers give way to ``trace``.
        """
        pairs = original.items() if isinstance(original, Mapping) else (original or ())
        kept = [(name, value) for name, value in pairs if name not in trace_context.FIELDS]
        text = error if isinstance(error, str) else repr(error)
        headers = dead_letters.headers_of([*kept, *trace], topic, partition, offset, self.service, kind, text)
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


def _key_bytes(key: str | None) -> bytes | None:
    return None if key is None else key.encode()
