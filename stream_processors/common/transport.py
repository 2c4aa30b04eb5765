"""Faust, with one promise restored: an event's offset is committed only once it was processed.

The fault tests found events Faust committed without processing (orders acknowledged over HTTP
that never reached ``orders``, a payment that never counted), in three ways, closed here:

1. **Events dropped around a rebalance were committed past.** Faust's stream skips the events it
   fetched before a rebalance and acks them, "so the lag does not grow"; it also clears agents'
   buffers and discards fetched events below a read offset that can move ahead of them. Its
   commit then moves past whatever was not processed when it does not know the committed offset
   (none yet, or 0) or the hole is one offset wide. :class:`RebalanceSafeConsumer` refuses the
   ack of a skipped event, anchors every partition at its committed offset, never commits above
   a hole, and seeks back to a hole that does not fill by itself, or to a partition whose last
   fetched events were dropped (nothing above them to show a hole; CI once ended on a lag of 1).
   Handlers are idempotent, so events fetched and processed twice are harmless.
2. **The Cython stream iterator acks on its own**, around the consumer: :class:`PythonAckStream`
   iterates with Faust's pure-Python iterator, whose acks go through the consumer above.
3. **The commit did not wait for table writes.** Table writes are queued in a buffer, and Faust's
   flush before a commit gives up once nothing was sent for 0.1 s. :class:`DrainingProducer`
   flushes only when every queued message is with the Kafka client, and then waits for the
   brokers, so a commit never covers a table write that can still be lost.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import weakref
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import faust
from faust.transport.drivers import aiokafka as driver
from faust.transport.producer import ProducerBuffer
from faust.types import TP, ConsumerT, FutureMessage, Message, ProducerT

log = logging.getLogger(__name__)
REFETCH_AFTER_S = 5.0  # a hole in the processed offsets this old is fetched again
ABSENT_AFTER_S = 300.0  # a hole's first offset still missing this long after that is not in the log


@dataclass
class Hole:
    """Offsets from ``start`` that were fetched but not processed, while later ones were."""

    start: int
    since: float  # when it was found, or last fetched again
    first_sought: float | None = None  # when it was first fetched again


class RebalanceSafeConsumer(driver.Consumer):
    """Commits an offset only when every event below it, from the last commit on, was processed.

    Each partition's anchor is the offset committed last (or the log start). Offsets Faust
    recorded as gaps in the log (compaction, transaction markers) do not count as missing.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self.anchors: dict[TP, int] = {}  # next offset to process, as last committed
        self.holes: dict[TP, Hole] = {}
        self.fetched: dict[TP, int] = {}  # highest offset handed to Faust since the last seek
        self.in_hand: weakref.WeakSet[Message] = weakref.WeakSet()  # fetched, alive somewhere
        self.refused: weakref.WeakSet[Message] = weakref.WeakSet()  # skipped: their ack refused
        self.stalls: dict[TP, float] = {}  # since when a partition's fetched events went nowhere
        self.changelogs: set[str] = set()  # tables' topics: read by recovery, never acked by a stream

    def ack(self, message: Message) -> bool:
        """Mark ``message`` safe to commit, unless it was skipped rather than processed."""
        if not message.tracked:
            self.refused.add(message)
            return False
        return super().ack(message)

    def _to_message(self, tp: TP, record: Any) -> Any:
        message = super()._to_message(tp, record)
        if tp.topic not in self.changelogs and self.app.topics.acks_enabled_for(tp.topic):
            self.fetched[tp] = max(message.offset, self.fetched.get(tp, -1))
            self.in_hand.add(message)
        return message

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek to the committed offsets, and anchor each assigned partition there (or at its start)."""
        committed = await super().seek_to_committed()
        anchors = {tp: offset for tp, offset in committed.items() if offset is not None and offset > 0}
        fresh = [tp for tp in committed if tp not in anchors]
        if fresh:
            anchors.update(await self.earliest_offsets(*fresh))
        self.anchors, self.holes, self.fetched, self.stalls = anchors, {}, {}, {}
        self.changelogs = self.app.tables.changelog_topics
        return committed

    def _new_offset(self, tp: TP) -> int | None:
        acked = self._acked[tp]
        anchor = self.anchors.get(tp)
        if acked and anchor is not None:
            first = min(acked)
            if first > anchor and not self._is_gap(tp, anchor, first):
                self.holes.setdefault(tp, Hole(anchor, time.monotonic()))
                return None
        self.holes.pop(tp, None)
        return super()._new_offset(tp)

    def _is_gap(self, tp: TP, start: int, end: int) -> bool:
        """Whether every offset in [start, end) is one the log does not have (Faust's gap record)."""
        gaps = self._gap.get(tp)
        if not gaps:
            return False
        covered: set[int] = set()
        for interval in gaps.overlap(start, end):
            covered.update(range(max(interval.begin, start), min(interval.end, end)))
        return len(covered) == end - start

    async def _commit_offsets(self, offsets: Mapping[TP, int], start_new_transaction: bool = True) -> bool:
        done = await super()._commit_offsets(offsets, start_new_transaction=start_new_transaction)
        if done:
            assignment = self.assignment()
            self.anchors.update({tp: offset for tp, offset in offsets.items() if tp in assignment})
        return done

    async def commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        """Seek back to the holes that waited too long, then commit what is safe."""
        await self.refetch_holes()
        return await super().commit(topics, start_new_transaction=start_new_transaction)

    async def refetch_holes(self) -> None:
        """Seek each partition whose hole, or dropped last events, waited too long back to them."""
        if not self.app.flow_control.is_active():
            return  # a rebalance is under way: it seeks to the committed offsets itself
        assignment, now = self.assignment(), time.monotonic()
        for tp, offset in [*self.due_holes(assignment, now), *self.due_tails(assignment, now)]:
            log.warning("events were dropped; fetching them again", extra=_where(tp, offset))
            await self.seek(tp, offset)

    def due_holes(self, assignment: set[TP], now: float) -> list[tuple[TP, int]]:
        """The (partition, offset) to seek back to now; passes a first offset absent from the log.

        A hole is fetched again every ``REFETCH_AFTER_S`` while it stays: a seek-back can miss when
        Faust's fetch loop is still handing on a batch fetched before it (it takes that batch for the
        next to read and drops the events fetched again), so one attempt is not enough. If only its
        first offset is still missing ``ABSENT_AFTER_S`` after the first attempt, the log does not
        have it.
        """
        due = []
        for tp, hole in list(self.holes.items()):
            if tp not in assignment or now - hole.since < REFETCH_AFTER_S:
                continue
            first = hole.first_sought
            long_gone = first is not None and now - first >= ABSENT_AFTER_S
            if long_gone and self._only_first_missing(tp, hole.start):
                # fetched again long ago and still missing: the log no longer has it (compacted away)
                log.warning("offset absent from the log; committing past it", extra=_where(tp, hole.start))
                self.anchors[tp] = hole.start + 1
                del self.holes[tp]
                continue
            self.holes[tp] = Hole(hole.start, now, now if first is None else first)
            due.append((tp, hole.start))
        return due

    def _only_first_missing(self, tp: TP, start: int) -> bool:
        """Whether only ``start`` is missing: the one offset Faust never records as a gap after a seek."""
        acked = self._acked[tp]
        return bool(acked) and (min(acked) == start + 1 or self._is_gap(tp, start + 1, min(acked)))

    def due_tails(self, assignment: set[TP], now: float) -> list[tuple[TP, int]]:
        """The partitions whose events fetched since the last commit were all dropped, unprocessed.

        Nothing was acked above them, so no hole shows. Such a partition is sought back to its
        anchor once it has been ``REFETCH_AFTER_S`` in that state, and no message fetched for it is
        still alive unacked (queued for a stream, or being processed).
        """
        stalled: dict[TP, float] = {}
        for tp in assignment:
            anchor, fetched = self.anchors.get(tp), self.fetched.get(tp)
            if anchor is None or fetched is None or fetched < anchor:
                continue  # nothing fetched past the last commit
            if self._acked.get(tp) or tp in self.holes:
                continue  # events were processed: the commit, or the hole, takes it from here
            stalled[tp] = self.stalls.get(tp, now)
        self.stalls = stalled
        overdue = [tp for tp, since in stalled.items() if now - since >= REFETCH_AFTER_S]
        if not overdue:
            return []
        dropped = set(overdue) - self._unsettled_partitions()
        if dropped:
            gc.collect()  # a dropped message caught in a reference cycle is not on its way
            dropped -= self._unsettled_partitions()
        self.stalls.update({tp: now for tp in dropped})
        return [(tp, self.anchors[tp]) for tp in overdue if tp in dropped]

    def _unsettled_partitions(self) -> set[TP]:
        """The partitions with a fetched message still on its way: alive, neither acked nor refused."""
        return {m.tp for m in self.in_hand if not m.acked and m not in self.refused}


def _where(tp: TP, offset: int) -> dict[str, Any]:
    """Log fields naming a partition and offset."""
    return {"topic": tp.topic, "partition": tp.partition, "offset": offset}


class DrainableBuffer(ProducerBuffer):
    """Faust's queue of messages produced with ``send_soon`` (every table write), made drainable."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.unsent = 0
        self.drained = asyncio.Event()
        self.drained.set()

    def put(self, fut: FutureMessage) -> None:
        """Queue ``fut``, counting it until it is handed to the Kafka client."""
        self.unsent += 1
        self.drained.clear()
        super().put(fut)

    async def _send_pending(self, fut: FutureMessage) -> None:
        try:
            await super()._send_pending(fut)
        finally:
            self.unsent -= 1
            if not self.unsent:
                self.drained.set()

    async def drain(self) -> None:
        """Wait until every queued message is in the Kafka client's hands."""
        await self.drained.wait()


class DrainingProducer(driver.Producer):
    """The aiokafka producer whose flush (run before every commit) first drains the buffer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        buffer = DrainableBuffer(loop=self.loop, beacon=self.beacon)
        buffer.app = self.app
        self.buffer = buffer

    async def flush(self) -> None:
        """Hand every buffered message to the client, then wait until the brokers have them all."""
        await cast(DrainableBuffer, self.buffer).drain()
        await super().flush()


class RebalanceSafeTransport(driver.Transport):
    """The aiokafka transport with the consumer and producer above."""

    Consumer: ClassVar[type[ConsumerT]] = RebalanceSafeConsumer
    Producer: ClassVar[type[ProducerT]] = DrainingProducer


class PythonAckStream(faust.Stream):  # type: ignore[type-arg]
    """A stream whose acks go through the consumer (the pure-Python iterator), never around it."""

    def __aiter__(self) -> AsyncIterator[Any]:
        iterator = self._py_aiter()
        self._active_agens.add(cast(Any, iterator))  # closed on stop, as Faust's own __aiter__ does
        return iterator
