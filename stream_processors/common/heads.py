"""The first record at or after an offset of a partition, read from the broker (issue 15).

Two parts of a processor ask it: the lag exporter (``backlog``), for the timestamp of the oldest
record not processed yet when the worker has not fetched it, and the offset ledger's adapter
(``transport``), for whether a hole at the commit point holds a record at all: a transaction's
commit or abort marker takes an offset that no consumer is ever handed (``python -m ops
dead-letters redrive`` writes in transactions), so the first record after it has a higher offset.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from faust.types import TP

from infra.kafka_clients import started_consumer
from infra.settings import KafkaSettings

log = logging.getLogger(__name__)
HEAD_FETCH_BYTES = 64 * 1024  # one record is wanted: the broker still returns a whole first batch


class HeadReader:
    """Reads the first record at or after a given offset, with a group-less consumer of its own.

    The consumer is created on first use (a worker whose consumer fetches ahead never needs it).
    Answers are kept per partition and offset, so a stalled partition costs one fetch, not one
    per refresh.
    """

    def __init__(self, kafka: KafkaSettings, timeout_s: float) -> None:
        self._kafka = kafka
        self._timeout_s = timeout_s
        self._consumer: AIOKafkaConsumer | None = None
        #: tp → (offset asked, offset of the first record at or after it, its timestamp ms); with
        #: no record up to the end: (offset asked, the end, None)
        self._known: dict[TopicPartition, tuple[int, int, int | None]] = {}

    async def timestamps(self, positions: Mapping[TP, int]) -> dict[TP, int]:
        """The timestamp (epoch ms) of the record at each ``positions[tp]``, or the first one after it."""
        found = await self.first_records(positions)
        return {tp: timestamp for tp, (_, timestamp) in found.items() if timestamp is not None}

    async def first_records(self, positions: Mapping[TP, int]) -> dict[TP, tuple[int, int | None]]:
        """(offset, timestamp ms) of the first record at or after each ``positions[tp]``; when the
        partition holds none up to its end but its end is further on (transaction markers only):
        (its end, None).

        A partition whose record does not come within the time-out (or when Kafka fails) is left
        out, as is one with nothing at all after the position. A position below the log start
        (deleted by retention) reads the log's first record. The records of a log do not change
        once written, so a record found is kept per partition and position: a stalled partition
        costs one fetch.
        """
        wanted = {TopicPartition(tp.topic, tp.partition): offset for tp, offset in positions.items()}
        self._known = {tp: known for tp, known in self._known.items() if tp in wanted}
        missing = {
            tp: offset for tp, offset in wanted.items() if self._known.get(tp, (-1, 0, 0))[0] != offset
        }
        if missing:
            try:
                async with asyncio.timeout(self._timeout_s):
                    await self._read(missing)
            except TimeoutError:
                log.warning("oldest unprocessed records not read in time", extra={"partitions": len(missing)})
            except KafkaError as exc:
                log.warning("cannot read oldest unprocessed records", extra={"error": repr(exc)})
        return {
            tp: (known[1], known[2])
            for tp in positions
            if (known := self._known.get(TopicPartition(*tp))) is not None
        }

    def _kept(self, tp: TopicPartition, offset: int) -> bool:
        """Whether the record at or after ``offset`` was found before (a "none up to the end" may change)."""
        known = self._known.get(tp)
        return known is not None and known[0] == offset and known[2] is not None

    async def _read(self, missing: Mapping[TopicPartition, int]) -> None:
        """Fetch the first record at or after each offset (or read to the end without one); nothing
        stays assigned afterwards.

        aiokafka keeps fetching assigned partitions in the background, so each one is paused once
        its record is in, and all are unassigned at the end.
        """
        consumer = await self._started()
        consumer.assign(list(missing))
        try:
            for tp, offset in missing.items():
                consumer.seek(tp, offset)
            unread = set(missing)
            while unread:
                batches = await consumer.getmany(*unread, timeout_ms=200)
                for tp, records in batches.items():
                    if records and tp in unread:
                        self._known[tp] = (missing[tp], records[0].offset, records[0].timestamp)
                        unread.discard(tp)
                        consumer.pause(tp)
                for tp in list(unread):  # read to the end without a record: markers only, if anything
                    # read_committed: the end is the last stable offset (an open transaction's start)
                    end, position = consumer.last_stable_offset(tp), await consumer.position(tp)
                    if end is not None and position >= end:
                        if position > missing[tp]:
                            self._known[tp] = (missing[tp], position, None)
                        unread.discard(tp)
                        consumer.pause(tp)
        finally:
            consumer.unsubscribe()

    async def _started(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            self._consumer = await started_consumer(
                self._kafka,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                isolation_level="read_committed",  # an aborted re-drive never happened
                max_partition_fetch_bytes=HEAD_FETCH_BYTES,
            )
        return self._consumer

    async def close(self) -> None:
        """Close the consumer, if one was started."""
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
