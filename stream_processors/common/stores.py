"""Tables' RocksDB stores follow Kafka: a partition ahead of its changelog is dropped and rebuilt from it.

A store remembers the offset of the last changelog record it holds. When the changelog no longer
reaches that offset (``python -m infra.local_kafka reset`` with a processor's data dir left behind,
the topic deleted and created again, data from another cluster), Faust's recovery raises
``ConsistencyError`` and the worker crashes (faust-streaming/faust#158): in
``faust/tables/recovery.py``, ``Recovery._restart_recovery`` compares each changelog partition's
persisted offset (``Recovery._add`` → ``table.persisted_offset``, at least log start − 1) with its
"highwater" (end offset − 1) and raises when the first is greater, with
``recovery_consistency_check`` on (the default). Its test is on truthiness too: a stored offset 0,
or a changelog of one record (highwater 0), lets a stale store through silently (the same
offset − 1 arithmetic as faust-streaming/faust#597, recovery of empty changelog partitions).

:class:`FollowingStore` checks first: a table's ``on_rebalance`` reaches its store before Faust's
recovery reads persisted offsets (``TableManager.on_rebalance``), so the store compares its offset
of each newly assigned changelog partition with the changelog's end offset there and drops a
partition that is ahead (a WARNING names table, partition, stored offset and high watermark).
Recovery then finds no persisted offset and reads the partition from its start. Faust's own check
stays on behind it. :func:`partitions_ahead` is the decision, a pure function. Canaries: Faust
builds the store and calls its ``on_rebalance`` (``tests/unit/.../test_stores.py``), before recovery
(``tests/integration/stream_processors/test_state_follows_kafka.py``, on a broker).
"""

from __future__ import annotations

import gc
import logging
import shutil
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import faust
from aiokafka.errors import KafkaError
from faust import stores
from faust.stores import rocksdb
from faust.types import TP, CodecArg, FutureMessage, StoreT
from yarl import URL

from infra import tracing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ahead:
    """A changelog partition whose local store holds an offset the changelog never reached."""

    tp: TP
    stored: int  # offset of the last changelog record the store applied
    high_water: int  # the changelog's end offset: the offset its next record gets


def partitions_ahead(stored: Mapping[TP, int | None], ends: Mapping[TP, int | None]) -> list[Ahead]:
    """The partitions whose stored offset is at or past their changelog's end, in partition order.

    A store in step with its changelog holds offsets below the end: its last record is at end − 1,
    or earlier when another worker has written the partition since. A partition with no stored
    offset, or whose end is unknown, is not ahead.
    """
    found = [
        Ahead(tp, offset, end)
        for tp, offset in stored.items()
        if offset is not None and (end := ends.get(tp)) is not None and offset >= end
    ]
    return sorted(found, key=lambda a: (a.tp.topic, a.tp.partition))


class FollowingStore(rocksdb.Store):
    """Faust's RocksDB store, which drops a partition ahead of its changelog before recovery reads it."""

    async def on_rebalance(
        self,
        assigned: set[TP],
        revoked: set[TP],
        newly_assigned: set[TP],
        generation_id: int = 0,
    ) -> None:
        """Open and close partitions as Faust does, then check the changelog partitions new to this worker."""
        await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)
        topics = self.table.changelog_topic.topics
        await self.follow_changelog(tp for tp in newly_assigned if tp.topic in topics)

    async def follow_changelog(self, tps: Iterable[TP]) -> list[Ahead]:
        """Drop each of ``tps`` (this table's changelog partitions) that is ahead of the changelog."""
        stored = {tp: offset for tp in tps if (offset := self.persisted_offset(tp)) is not None}
        if not stored:
            return []
        try:
            ends = await self.app.consumer.highwaters(*stored)
        except KafkaError as exc:
            log.warning(
                "could not read the changelog's end offsets; Faust's recovery check still applies",
                extra={"table": self.table.name, "error": repr(exc)},
            )
            return []
        ahead = partitions_ahead(stored, ends)
        for found in ahead:
            log.warning(
                "table store is ahead of its changelog (topic recreated, Kafka reset, or another "
                "cluster's data): dropping the partition's local store, rebuilding it from the changelog",
                extra={
                    "table": self.table.name,
                    "topic": found.tp.topic,
                    "partition": found.tp.partition,
                    "stored_offset": found.stored,
                    "changelog_high_water": found.high_water,
                },
            )
            self.drop_partition(found.tp.partition)
        return ahead

    def drop_partition(self, partition: int) -> None:
        """Close the partition's database and delete its directory; it opens empty when next used."""
        db = self._dbs.pop(partition, None)
        if db is not None and hasattr(db, "close"):  # rocksdict; python-rocksdb closes when collected
            db.close()
        db = None
        gc.collect()
        self._key_index.clear()  # keys it held may be gone from the rebuilt partition
        with suppress(FileNotFoundError):
            shutil.rmtree(self.partition_path(partition))


class FollowingTable(faust.Table[Any, Any]):
    """Faust's table, whose RocksDB store is a :class:`FollowingStore` (``App(Table=...)``), and whose
    changelog records carry the trace of the record being processed (SPEC §5: ``orders`` versions
    are the orders table's changelog).
    """

    def send_changelog(
        self,
        partition: int | None,
        key: Any,
        value: Any,
        key_serializer: CodecArg | None = None,
        value_serializer: CodecArg | None = None,
    ) -> FutureMessage:
        """Faust's changelog write (faust-streaming 0.15 ``Collection.send_changelog``), with headers.

        The headers are those of the record being processed (``tracing.Processing``, which the batch
        runtime opens around each record; none for a write made outside it, such as a deferred one).
        """
        return self.changelog_topic.send_soon(
            key=key,
            value=value,
            partition=partition,
            key_serializer=self.key_serializer if key_serializer is None else key_serializer,
            value_serializer=self.value_serializer if value_serializer is None else value_serializer,
            callback=self._on_changelog_sent,
            eager_partitioning=True,  # the partition is known when the future is returned, as in Faust
            headers=list(tracing.current_headers()) or None,
        )

    def _new_store_by_url(self, url: str | URL) -> StoreT[Any, Any]:
        if stores.by_url(url) is not rocksdb.Store:
            return super()._new_store_by_url(url)
        # the arguments Faust's Collection._new_store_by_url passes (canary: test_stores.py)
        return FollowingStore(
            url,
            self.app,
            self,
            table_name=self.name,
            key_type=self.key_type,
            key_serializer=self.key_serializer,
            value_serializer=self.value_serializer,
            value_type=self.value_type,
            loop=self.loop,
            options=self.options,
        )
