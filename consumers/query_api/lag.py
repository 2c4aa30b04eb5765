"""How far each processor's consumer group is behind its input topics, for the dashboard.

What counts and the arithmetic are :mod:`infra.lag` (shared with ``python -m ops lag``).
:class:`LagMonitor` asks an :class:`OffsetSource` at most once per interval however many viewers ask
it; :class:`infra.lag.KafkaOffsets` is that source over Kafka.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from infra.lag import Snapshot, group_lag
from schemas.exceptions import ShopStreamError

log = logging.getLogger(__name__)


class LagUnavailableError(ShopStreamError):
    """Kafka did not answer the offsets needed to compute lag."""


class OffsetSource(Protocol):
    """Where offsets come from: Kafka in the service, a fake in unit tests."""

    async def committed(self, group: str) -> dict[TopicPartition, int]:
        """The group's committed offset on every partition it has committed on."""
        ...

    async def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """The next offset to be written on each partition."""
        ...


class LagMonitor:
    """Lag of every group, refreshed from the source at most once per ``interval_s`` (and cached)."""

    def __init__(
        self,
        source: OffsetSource,
        groups: Mapping[str, str],
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._groups = dict(groups)
        self._interval_s = interval_s
        self._clock = clock
        self._lock = asyncio.Lock()
        self._at: float | None = None
        self._snapshot: Snapshot = {}
        self._error: LagUnavailableError | None = None

    async def snapshot(self) -> Snapshot:
        """``{group: {processor, lag, partitions}}``; raises :class:`LagUnavailableError` if Kafka failed."""
        async with self._lock:  # viewers arriving during a refresh wait for it instead of starting one
            if self._at is None or self._clock() - self._at >= self._interval_s:
                await self._refresh()
            if self._error is not None:
                raise self._error
            return self._snapshot

    async def _refresh(self) -> None:
        """One round of reads: each group's committed offsets, then one end-offsets request for all."""
        self._at = self._clock()
        try:
            committed = {group: await self._source.committed(group) for group in self._groups}
            partitions = {tp for offsets in committed.values() for tp in offsets}
            ends = await self._source.end_offsets(partitions) if partitions else {}
        except KafkaError as exc:
            log.warning("cannot read consumer lag", extra={"error": repr(exc)})
            self._error = LagUnavailableError(f"Kafka did not answer: {exc!r}")
            self._error.__cause__ = exc
            return
        self._error = None
        self._snapshot = {
            group: {"processor": name, **group_lag(committed[group], ends)}
            for group, name in self._groups.items()
        }
