"""What the batch runtime hands each record's handler, and what the handler gives back.

A handler gets an :class:`Input` (one decoded record) and the :class:`Batch` it belongs to, and
answers through the batch: outputs to send (``send``), compacted views of which only the batch's
last value per key goes (``latest``, as Kafka Streams' record cache does), and table writes that
must wait until the outputs are acknowledged (``after_delivery``). ``runtime.BatchRunner`` applies
handlers, sends and acknowledges; this module holds no Kafka client.
"""

from __future__ import annotations

import enum
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from faust import streams as faust_streams
from faust.types import EventT, TopicT

from infra import tracing


class Verdict(enum.Enum):
    """What a handler says of a record it did not finish."""

    NEEDS_REFERENCE = "needs-reference"


#: returned by a handler that would fail a record for reference data it may not have read yet
NEEDS_REFERENCE = Verdict.NEEDS_REFERENCE

#: a record as ``AvroSerde.decode`` returns it: an agent may read several schemas, so only the
#: handler, which knows the topic, names its TypedDict (:meth:`Input.record_as`)
Decoded = dict[str, Any]
R = TypeVar("R")


@dataclass(slots=True)
class Input:
    """One decoded record of a batch: where it came from, its key, bytes and decoded value."""

    event: EventT[bytes]
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes | None
    timestamp_ms: int
    record: Decoded  # empty for a topic read raw
    caught_up: bool = False  # True once the reference data was read up to its end for this record
    #: the trace headers of everything written because of this record (SPEC §5, ``tracing.Processing``)
    trace_headers: tracing.KafkaHeaders = field(default_factory=list)

    def record_as(self, schema: type[R]) -> R:
        """The decoded record as ``schema``, the TypedDict of its topic's record (``schemas.records``).

        Its topic's serde decoded it with that very schema, so the handler only names it here.
        """
        return cast(R, self.record)


@dataclass(slots=True)
class Output:
    """A record to publish once its batch is applied."""

    topic: TopicT
    key: str | None
    value: bytes
    partition: int | None = None
    source: Input | None = None  # the record it answers: dead-lettered if the brokers refuse it for good


@dataclass
class Batch:
    """What a batch's handlers produce: outputs in order, coalesced views, deferred table writes."""

    outputs: list[Output] = field(default_factory=list)
    views: dict[tuple[str, str], Output] = field(default_factory=dict)
    deferred: list[tuple[EventT[bytes], Callable[[], None]]] = field(default_factory=list)
    current: EventT[bytes] | None = None
    source: Input | None = None
    #: a handler's notes for the rest of the batch (writes deferred by ``after_delivery``, say)
    state: dict[Any, Any] = field(default_factory=dict)
    #: views as they were before each ``latest`` since the last mark (None: absent)
    undo: list[tuple[tuple[str, str], Output | None]] = field(default_factory=list)

    def send(self, topic: TopicT, key: str | None, value: bytes, partition: int | None = None) -> None:
        """Publish ``value`` once the batch is applied; it is acknowledged before the batch is acked."""
        self.outputs.append(Output(topic, key, value, partition, self.source))

    def latest(self, topic: TopicT, key: str, value: bytes, slot: str | None = None) -> None:
        """Publish ``value`` as the state of ``slot`` (default: ``key``); only the batch's last one goes."""
        where = (topic.get_topic_name(), key if slot is None else slot)
        self.undo.append((where, self.views.get(where)))
        self.views[where] = Output(topic, key, value, None, self.source)

    def mark(self) -> tuple[int, int]:
        """Where the batch stands before a record is applied: what :meth:`rollback` returns to."""
        self.undo.clear()
        return len(self.outputs), len(self.deferred)

    def rollback(self, mark: tuple[int, int]) -> None:
        """Forget the outputs and deferred writes of a record whose application did not finish."""
        del self.outputs[mark[0] :], self.deferred[mark[1] :]
        while self.undo:
            where, before = self.undo.pop()
            if before is None:
                self.views.pop(where, None)
            else:
                self.views[where] = before

    def after_delivery(self, write: Callable[[], None]) -> None:
        """Run ``write`` (a table write) once the batch's outputs are acknowledged, as the current event."""
        assert self.current is not None  # noqa: S101 - only called from a handler
        self.deferred.append((self.current, write))


Handler = Callable[[Input, Batch], Awaitable[Verdict | None]]
CatchUp = Callable[[int], Awaitable[object]]


def set_current_event(event: EventT[bytes] | None) -> None:
    """Make ``event`` Faust's current event: table writes then go to its changelog partition.

    Faust's tables find the partition of a write through this context variable, which only its
    stream iterator sets (``faust.streams._current_event``, faust-streaming 0.15; a write without it
    fails, as faust-streaming/faust#522 found for the periodic flush); the canary test
    ``test_runtime_faust_hooks`` fails when an upgrade renames it.
    """
    faust_streams._current_event.set(None if event is None else weakref.ref(event))


def text_key(raw: bytes | str | None) -> tuple[str | None, str | None]:
    """A record's key as text (SPEC §2: keys are UTF-8 strings), or why it is none: (key, error)."""
    if raw is None or isinstance(raw, str):
        return raw, None
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"key is not UTF-8: {exc}"
