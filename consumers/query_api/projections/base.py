"""What a read model is: something that applies the records of one topic."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from aiokafka import ConsumerRecord

from schemas.topics import TopicSpec

#: a record's Kafka headers, as aiokafka gives them
Headers = Sequence[tuple[str, bytes]]
#: the record type of a projection's topic (a TypedDict of schemas/records.py)
RecordT = TypeVar("RecordT")
RecordT_contra = TypeVar("RecordT_contra", contravariant=True)


class Projection(Protocol[RecordT_contra]):
    """Folds the decoded records of one topic into a read model."""

    topic: TopicSpec

    def apply(self, key: str | None, record: RecordT_contra, headers: Headers = ()) -> None:
        """Apply one decoded record; must be idempotent (records may be read twice)."""


#: a projection of whichever topic: the materializer decodes each topic with that topic's schema, so
#: what reaches a projection is its own record type, which only the projection names
AnyProjection = Projection[Any]


class LatestRecords(Generic[RecordT]):
    """The latest record of each id on a compacted topic: the last one read wins (a PUT replaces)."""

    def __init__(self, topic: TopicSpec, id_of: Callable[[RecordT], str]) -> None:
        self.topic = topic
        self._id_of = id_of
        self._latest: dict[str, RecordT] = {}

    def get(self, record_id: str) -> RecordT | None:
        """The latest record of ``record_id``, if one was read."""
        return self._latest.get(record_id)

    def apply(self, key: str | None, record: RecordT, headers: Headers = ()) -> None:
        """Keep ``record`` as the latest of its id."""
        self._latest[self._id_of(record)] = record


class RawProjection(Protocol):
    """Folds the records of one topic whose values are not one Avro record (``dead-letters``)."""

    topic: TopicSpec

    def apply_raw(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Apply one record as read: key and value bytes, headers, partition, offset, timestamp."""
