"""What a read model is: something that applies the records of one topic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from aiokafka import ConsumerRecord

from schemas.topics import TopicSpec

#: a record's Kafka headers, as aiokafka gives them
Headers = Sequence[tuple[str, bytes]]


class Projection(Protocol):
    """Folds the decoded records of one topic into a read model."""

    topic: TopicSpec

    def apply(self, key: str | None, record: dict[str, Any], headers: Headers = ()) -> None:
        """Apply one decoded record; must be idempotent (records may be read twice)."""


class RawProjection(Protocol):
    """Folds the records of one topic whose values are not one Avro record (``dead-letters``)."""

    topic: TopicSpec

    def apply_raw(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Apply one record as read: key and value bytes, headers, partition, offset, timestamp."""
