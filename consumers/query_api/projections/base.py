"""What a read model is: something that applies decoded records of one topic."""

from __future__ import annotations

from typing import Any, Protocol

from schemas.topics import TopicSpec


class Projection(Protocol):
    """Folds the records of one topic into a read model."""

    topic: TopicSpec

    def apply(self, key: str | None, record: dict[str, Any]) -> None:
        """Apply one decoded record; must be idempotent (records may be read twice)."""
