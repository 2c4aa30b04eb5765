"""Each worker's lag and oldest-record age per input partition, as Prometheus gauges (issue 15).

For every partition of its agents' inputs that the worker is assigned (table changelogs are read
by recovery, not processed, and are left out), every ``lag_interval_s``:

- ``shopstream_consumer_lag_records`` = end offset (high watermark) − next offset to process. The
  next offset is the offset ledger's commit point (every offset below it processed; it is committed
  at the next commit). End offsets come from one ListOffsets request per refresh, not from the
  fetch responses' high watermarks alone: those stop moving when the worker stops fetching (paused
  during recovery, or stalled), which is when lag matters (robinhood/faust#139 made that trade-off).
- ``shopstream_consumer_oldest_unprocessed_age_seconds`` = now − the timestamp of the record at
  that next offset (its producer's CreateTime, or the broker's LogAppendTime on such topics); 0 when
  the partition is caught up. The timestamp is the ledger's when that record was handed out and is
  not processed yet (the usual case: the consumer fetches ahead of processing); when it was not
  (the worker has not fetched it yet: just assigned, paused for recovery, or the record came after
  the last fetch), :class:`HeadReader` reads it from the broker, once per partition and position.
  If the broker does not answer in time, the age of that partition keeps its last value.

Series of a partition the worker no longer owns are removed: at the next refresh, and as soon as a
rebalance assigns partitions (Faust's ``on_partitions_assigned`` signal). Kafka requests per worker
and refresh: one ListOffsets, plus at most one Fetch when some partition's next record is unknown.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

import faust
from aiokafka.errors import KafkaError
from faust.exceptions import ConsumerNotStarted
from faust.types import TP
from mode import Service
from mode.types.signals import BaseSignalT

from infra.metrics import CONSUMER_LAG, OLDEST_UNPROCESSED_AGE
from schemas.clock import now_ms
from stream_processors.common.heads import HeadReader
from stream_processors.common.ledger import OffsetLedger
from stream_processors.common.transport import LedgerConsumer

log = logging.getLogger(__name__)


def backlog(end: int, position: int, head_ms: int | None, now: int) -> tuple[int, float | None]:
    """A partition's (lag in records, age in seconds of its oldest unprocessed record).

    ``end``: its end offset; ``position``: the next offset to process; ``head_ms``: the timestamp
    (epoch ms) of the record at ``position``, None if unknown; ``now``: epoch ms. Lag is never
    below 0 (an end offset listed before the latest records were processed); age is 0 when the
    lag is, None when there is lag and ``head_ms`` is unknown, and never below 0 (a producer's
    clock ahead of ours).
    """
    lag = max(0, end - position)
    if lag == 0:
        return 0, 0.0
    if head_ms is None:
        return lag, None
    return lag, max(0.0, (now - head_ms) / 1000)


class BacklogExporter(Service):
    """Refreshes the worker's lag and age gauges every ``interval_s`` (see the module docstring)."""

    def __init__(self, app: faust.App, service: str, heads: HeadReader, interval_s: float) -> None:
        super().__init__()
        self._app = app
        self._service = service
        self._interval_s = interval_s
        self._heads = heads
        self._exported: set[TP] = set()  # partitions with a lag series
        self._aged: set[TP] = set()  # partitions with an age series (their head was known once)
        app.on_partitions_assigned.connect(self._on_assigned)

    async def on_start(self) -> None:
        """Refresh every interval from now on."""
        self.add_future(self._run())

    async def _run(self) -> None:
        while not self.should_stop:
            await self.sleep(self._interval_s)
            try:
                await self.refresh()
            except (KafkaError, ConsumerNotStarted) as exc:  # Kafka away, or the worker stopping
                log.warning("cannot refresh consumer lag", extra={"error": repr(exc)})

    async def _on_assigned(self, sender: Any, /, *args: Any, signal: BaseSignalT[Any], **kwargs: Any) -> None:
        """A rebalance assigned ``args[0]`` (a set of partitions): forget the series of every other one."""
        assigned: Iterable[TP] = args[0]
        self.forget_all_but(set(assigned))

    async def refresh(self) -> None:
        """List the end offsets of the assigned inputs, read unknown heads, and set the gauges."""
        consumer = self._app.consumer
        if not isinstance(consumer, LedgerConsumer):
            return
        if not consumer.ledger.partitions:  # not assigned yet (the consumer may not have started)
            self.forget_all_but(set())
            return
        assigned = consumer.assignment()
        tps = [tp for tp in consumer.ledger.partitions if tp in assigned]
        if not tps:
            self.forget_all_but(set())
            return
        ends = await consumer.highwaters(*tps)
        unknown = {}
        for tp in tps:
            head = consumer.ledger.head(tp)
            if head is not None and head[1] is None and ends.get(tp, 0) > head[0]:
                unknown[tp] = head[0]
        read = await self._heads.timestamps(unknown) if unknown else {}
        heads = {tp: (unknown[tp], read[tp]) for tp in read}
        self.export(consumer.ledger, consumer.assignment(), ends, heads, now_ms())

    def export(
        self,
        ledger: OffsetLedger[TP],
        assigned: AbstractSet[TP],
        ends: Mapping[TP, int],
        read: Mapping[TP, tuple[int, int]],
        now: int,
    ) -> None:
        """Set every gauge from ``ledger`` as it stands now, without awaiting (a scrape sees one state).

        ``assigned``: the consumer's partitions; ``ends``: their end offsets; ``read``: partition →
        (offset, timestamp ms) of the records the head reader read; ``now``: epoch ms.
        """
        current = {tp for tp in ledger.partitions if tp in assigned and tp in ends}
        for tp in current:
            head = ledger.head(tp)
            if head is None:
                continue
            position, head_ms = head
            if head_ms is None and read.get(tp, (-1, 0))[0] == position:
                head_ms = read[tp][1]
            lag, age = backlog(ends[tp], position, head_ms, now)
            labels = (self._service, tp.topic, str(tp.partition))
            CONSUMER_LAG.labels(*labels).set(lag)
            if age is not None:
                OLDEST_UNPROCESSED_AGE.labels(*labels).set(age)
                self._aged.add(tp)
        self.forget_all_but(current)
        self._exported = current

    def forget_all_but(self, keep: set[TP]) -> None:
        """Remove the series of every exported partition not in ``keep``."""
        for tp in self._exported - keep:
            CONSUMER_LAG.remove(self._service, tp.topic, str(tp.partition))
        for tp in self._aged - keep:
            OLDEST_UNPROCESSED_AGE.remove(self._service, tp.topic, str(tp.partition))
        self._exported &= keep
        self._aged &= keep
