"""Faust's aiokafka transport, with one promise restored: an offset is committed only once processed.

The fault tests found events Faust committed without processing (orders acknowledged over HTTP
that never reached ``orders``, a payment that never counted). Faust drops fetched events around a
rebalance (faust-streaming/faust#216, robinhood/faust#115 "DROPPED MESSAGE ROFF", #604), and a
batch fetched before a seek-back can be handed on after it; its own commit then moves past what was
not processed when it does not know the committed offset (none yet, or 0) or the hole is one
offset wide (``min(acked) - committed > 1``, the edge left by faust-streaming/faust#313, which
fixed #312). Two pieces close that:

1. :class:`LedgerConsumer` reports to an :class:`~stream_processors.common.ledger.OffsetLedger`
   (a pure core with property tests) every record it hands out, every record processed and every
   seek, and commits the ledger's commit point. Before each commit it fetches again the partitions
   the ledger says were dropped. It overrides four Faust members: ``_to_message`` (records handed
   out), ``ack``, ``_new_offset`` (the commit point) and ``seek_to_committed``/``seek`` (public);
   the canary ``test_ledger_faust_hooks`` (``tests/unit/stream_processors/common/test_runtime.py``)
   and the handed-out and processed counters checked in
   ``tests/integration/stream_processors/test_dead_letters.py`` fail when a Faust upgrade stops
   calling them.
2. **The commit waits for table writes.** Table writes are queued in a buffer, and Faust's flush
   before a commit (faust-streaming/faust#273) gives up once nothing was sent for 0.1 s.
   :class:`DrainingProducer` flushes only when every queued message is with the Kafka client, and
   then waits for the brokers, so a commit never covers a table write that can still be lost.
   Outputs are acknowledged before their batch is acked (``runtime``): the commit is one ordered
   step, outputs and table writes first, then offsets.

Apart from that, the consumer keeps Faust's livelock detector from false alarms: it checked table
changelog partitions as stream inputs and logged ERRORs about a healthy worker's tables every few
minutes; :meth:`LedgerConsumer.verify_event_path` (public) checks them as recovery's reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, cast

from faust.exceptions import ConsumerNotStarted
from faust.transport.drivers import aiokafka as driver
from faust.types import TP, ConsumerT, Message, ProducerT

from infra.metrics import OFFSETS_HANDED_OUT, OFFSETS_PROCESSED, REFETCHES
from stream_processors.common.heads import HeadReader
from stream_processors.common.ledger import OffsetLedger
from stream_processors.common.producer import DrainingProducer

log = logging.getLogger(__name__)


class Reader(Protocol):
    """What the consumer asks of the agents reading its partitions (``runtime.BatchRunner``)."""

    @property
    def topics(self) -> frozenset[str]:
        """The topics the agent reads."""

    @property
    def idle(self) -> bool:
        """Nothing queued for the agent, nothing in its hands."""


class CommittedReadsThread(driver.AIOKafkaConsumerThread):
    """Faust's consumer thread, whose aiokafka consumer reads committed records only.

    ``python -m ops dead-letters redrive`` writes in Kafka transactions, and a run fenced by another
    or failing part-way aborts: its records stay in the log, marked aborted, and a ``read_uncommitted``
    consumer would process them (a dead letter re-driven twice). Faust reads ``read_committed`` only
    under ``processing_guarantee="exactly_once"``, which also makes its commits transactional; this
    sets the isolation level alone, before the consumer starts (aiokafka reads it in ``start``; the
    canary ``test_transaction_markers`` fails when it no longer does).
    """

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._isolation_level = "read_committed"  # aiokafka has no setter; start() passes it on
        return consumer


class LedgerConsumer(driver.Consumer):
    """Faust's aiokafka consumer, whose commits and seek-backs the offset ledger decides."""

    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return CommittedReadsThread(self, loop=self.loop, beacon=self.beacon)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.ledger: OffsetLedger[TP] = OffsetLedger()
        self.readers: list[Reader] = []  # registered by the runtime, one per agent
        service = getattr(self.app, "service_name", "") or str(self.app.conf.id)
        self._handed_out = OFFSETS_HANDED_OUT.labels(service)
        self._processed = OFFSETS_PROCESSED.labels(service)
        self._refetches = REFETCHES.labels(service)

    def _tracks(self, topic: str) -> bool:
        """Inputs of agents; tables' changelogs are read by recovery and never acked."""
        return topic not in self.app.tables.changelog_topics and self.app.topics.acks_enabled_for(topic)

    def _to_message(self, tp: TP, record: Any) -> Any:
        message = super()._to_message(tp, record)
        if self._tracks(tp.topic):
            written = cast(float | None, message.timestamp)  # None for a record without one (pre-0.10)
            self.ledger.handed_out(tp, message.offset, None if written is None else round(written * 1000))
            self._handed_out.inc()
        return message

    def ack(self, message: Message) -> bool:
        """Record ``message`` as processed, unless it was never handed to an agent (skipped).

        The ledger hears of every first ack of a handed-out message, whatever Faust's own ack
        answers: Faust refuses an offset already in its acked index, and an ack that lands between
        a revocation and the next assignment (a batch finishing while the group rebalances) leaves
        its offset there, so the same offset fetched again and processed in the new generation was
        refused, and the ledger waited for it for good (worker-fault test: fraud's lag stuck on
        two offsets fetched again every 5 s).
        """
        if not message.tracked or message.acked:
            return False
        super().ack(message)
        if self._tracks(message.topic):
            self._acked[message.tp]  # Faust commits only partitions with an acked entry
            self.ledger.done(message.tp, message.offset)
            self._processed.inc()
        return True

    def _new_offset(self, tp: TP) -> int | None:
        if tp not in self.ledger.partitions:
            return super()._new_offset(tp)
        point = self.ledger.commit_point(tp)
        acked = self._acked[tp]  # Faust's own list: trimmed here, since its bookkeeping is not used
        if acked:
            self._acked[tp] = [o for o in acked if point is None or o >= point]
            self._acked_index[tp].intersection_update(self._acked[tp])
        return point

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek to the committed offsets; the ledger starts each partition there (or at its log start)."""
        committed = await super().seek_to_committed()
        tracked = {tp: offset for tp, offset in committed.items() if self._tracks(tp.topic)}
        starts = {tp: offset for tp, offset in tracked.items() if offset is not None and offset > 0}
        fresh = [tp for tp in tracked if tp not in starts]
        if fresh:
            starts.update(await self.earliest_offsets(*fresh))
        self.start_ledger(starts)
        return committed

    def start_ledger(self, starts: Mapping[TP, int]) -> None:
        """The ledger starts each assigned partition over at ``starts[tp]``, and forgets the others.

        Faust's own acked offsets go too: its bookkeeping is not used, and an ack that landed after
        the revocation must not make it refuse the same offset processed again.
        """
        self.ledger.revoke([tp for tp in self.ledger.partitions if tp not in starts])
        compacted: frozenset[str] = getattr(self.app, "compacted_topics", frozenset())
        for tp, offset in starts.items():
            self.ledger.assign(tp, offset, gapless=tp.topic not in compacted)
            self._acked[tp] = []
            self._acked_index[tp] = set()

    async def seek(self, partition: TP, offset: int) -> None:
        """Seek ``partition`` to ``offset``; the ledger forgets where the fetch stands until a record."""
        self.ledger.seek(partition, offset)
        await super().seek(partition, offset)

    def verify_event_path(self, now: float, tp: TP) -> None:
        """Faust's livelock check of ``tp``; a table's changelog gets the check of what reads it, recovery.

        Faust's detector (``Consumer._commit_livelock_detector``, every 2.5 commit intervals) checks
        every assigned partition as a stream input (``AIOKafkaConsumerThread.verify_event_path``):
        when aiokafka's position is below the high watermark and no stream has seen an event of
        it 5 minutes after start, it logs ERROR "Stream has not started processing". Our
        changelogs are acking channels, so that check applied to them, and no stream reads a
        changelog: after recovery Faust keeps an active table's changelog from delivery while
        aiokafka fetches the table's own writes and holds them, and recovery reads a standby's,
        always a little behind its active worker's writes. So a healthy worker logged that ERROR
        about its tables every few minutes. A standby's changelog now gets Faust's check of
        recovery's reads (``verify_recovery_event_path``: is aiokafka fetching it?), an active one
        none: nothing reads it until the next recovery, which checks its own progress.
        """
        if tp.topic not in self.app.tables.changelog_topics:
            super().verify_event_path(now, tp)
        elif tp in self.app.assignor.assigned_standbys():
            self.verify_recovery_event_path(now, tp)

    async def commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        """Fetch again what the ledger says was dropped, then commit what is safe."""
        await self.refetch_dropped()
        return bool(await super().commit(topics, start_new_transaction=start_new_transaction))

    async def refetch_dropped(self) -> None:
        """Seek each partition whose handed-out events were dropped back to its commit point.

        Unless the log has no record there (``heads``: the first record at or after it is further
        on, behind a transaction marker): then the commit point moves past the gap instead.
        """
        if not self.app.flow_control.is_active():
            return  # a rebalance is under way: it seeks to the committed offsets itself
        idle_topics = {topic for reader in self.readers if reader.idle for topic in reader.topics}
        idle = [tp for tp in self.ledger.partitions if tp.topic in idle_topics]
        due = self.ledger.to_refetch(time.monotonic(), idle, self._fetched_ends())
        heads = cast(HeadReader | None, getattr(self.app, "heads", None))  # App.heads (app.py)
        first = await heads.first_records(dict(due)) if heads is not None and due else {}
        for tp, offset in due:
            if tp in first and self.ledger.skip_absent(tp, offset, first[tp][0]):
                log.info(
                    "no record at the commit point (a transaction marker); moving past it",
                    extra={
                        "topic": tp.topic,
                        "partition": tp.partition,
                        "offset": offset,
                        "next": first[tp][0],
                    },
                )
                continue
            log.warning(
                "events were dropped; fetching them again",
                extra={"topic": tp.topic, "partition": tp.partition, "offset": offset},
            )
            self._refetches.inc()
            await self.seek(tp, offset)

    def _fetched_ends(self) -> dict[TP, int]:
        """The end offsets the fetch responses carried, per assigned partition that had one (no request).

        The ledger may still hold partitions a rebalance is taking away; aiokafka asserts that a
        partition is assigned before it answers, and its thread may revoke one between the two calls.
        """
        ends: dict[TP, int] = {}
        try:
            assigned = self.assignment()
        except ConsumerNotStarted:
            return ends
        for tp in self.ledger.partitions.keys() & assigned:
            try:
                end = self.highwater(tp)
            except (AssertionError, ConsumerNotStarted):  # revoked meanwhile, or stopping: no end
                continue
            if end is not None:
                ends[tp] = end
        return ends


class LedgerTransport(driver.Transport):
    """The aiokafka transport with the consumer and producer above."""

    Consumer: ClassVar[type[ConsumerT]] = LedgerConsumer
    Producer: ClassVar[type[ProducerT]] = DrainingProducer
