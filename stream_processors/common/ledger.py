"""The offset ledger: which offsets were handed out, which were processed, and what is safe to commit.

A pure core, no Faust and no Kafka: the consumer adapter (``transport``) tells it what happens,
and asks it two things, the commit point of a partition and which partitions to fetch again.

Per partition it keeps the *commit point* (every offset below was processed or is absent from the
log), the offsets handed out and not yet processed, the offsets processed above the commit point,
and the ranges the log does not have (compaction, transaction markers). An offset counts as absent
only when the fetch jumped over it, reading on from a known position; right after a seek or an
assignment the position is unknown until a record comes, because a batch fetched before can still
be handed out after it (faust-streaming's fetch loop, see ``transport``), and a record handed out
inside a range taken for absent voids that range.

Faust drops events it fetched (around a rebalance, or a batch fetched before a seek-back), so an
offset handed out may never be processed. The ledger then asks for the partition to be fetched
again from its commit point:

- a **hole**: something above the commit point was processed, the commit point itself was not;
  asked again every ``refetch_after_s`` while it stays (one seek-back can be lost to the same race);
- a **tail**: offsets handed out and none processed, while the agent that reads the partition was
  idle (nothing queued, nothing in hand) at two checks ``refetch_after_s`` apart with no progress;
- a hole whose first offset was never handed out again ``absent_after_s`` after the first
  seek-back is absent from the log (compacted away): the commit point moves past it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

TP = TypeVar("TP", bound=Hashable)
REFETCH_AFTER_S = 5.0
ABSENT_AFTER_S = 300.0


@dataclass
class PartitionLedger:
    """One partition's offsets since it was assigned (see the module docstring)."""

    commit_point: int
    expected: int | None  # the offset the next record handed out should have; None after a seek
    #: offsets handed out and not processed → their records' timestamps (epoch ms; None: unknown)
    pending: dict[int, int | None] = field(default_factory=dict)
    processed: set[int] = field(default_factory=set)
    absent: dict[int, int] = field(default_factory=dict)  # start → end (exclusive)
    stalled: tuple[float, int] | None = None  # (since, commit point then): a tail or a hole waiting
    first_refetch: tuple[float, int] | None = None  # (when, commit point then)
    #: the log has every offset (a topic that is not compacted): a jump is records skipped, not a gap
    gapless: bool = False

    def handed_out(self, offset: int, timestamp_ms: int | None = None) -> None:
        """The consumer handed ``offset`` (its record written at ``timestamp_ms``) to the framework."""
        if self.expected is not None and offset > self.expected and not self.gapless:
            self.absent[self.expected] = offset  # fetched on from a known position: not in the log
        elif self.absent:
            # a record inside a range taken for absent proves the range wrong: forget it
            self.absent = {s: e for s, e in self.absent.items() if not s <= offset < e}
        self.expected = offset + 1
        if offset >= self.commit_point and offset not in self.processed:
            self.pending[offset] = timestamp_ms

    def done(self, offset: int) -> None:
        """``offset`` was processed."""
        self.pending.pop(offset, None)
        if offset >= self.commit_point:
            self.processed.add(offset)
            self._advance()

    def _advance(self) -> None:
        point = self.commit_point
        while True:
            if point in self.processed:
                self.processed.discard(point)
                point += 1
            elif point in self.absent:
                point = self.absent.pop(point)
            else:
                break
        if point != self.commit_point:
            self.commit_point = point
            self.pending = {o: ts for o, ts in self.pending.items() if o >= point}
            self.absent = {s: e for s, e in self.absent.items() if e > point}
            self.stalled = self.first_refetch = None

    def has_hole(self) -> bool:
        """Whether an offset above the commit point was processed while the commit point was not."""
        return bool(self.processed)

    def has_tail(self) -> bool:
        """Whether offsets were handed out and none of them, nor anything above, was processed."""
        return bool(self.pending) and not self.processed


class OffsetLedger(Generic[TP]):
    """Every assigned partition's :class:`PartitionLedger`, and when to fetch one again."""

    def __init__(
        self, refetch_after_s: float = REFETCH_AFTER_S, absent_after_s: float = ABSENT_AFTER_S
    ) -> None:
        self.refetch_after_s = refetch_after_s
        self.absent_after_s = absent_after_s
        self.partitions: dict[TP, PartitionLedger] = {}

    def assign(self, tp: TP, committed: int, gapless: bool = False) -> None:
        """``tp`` starts over at ``committed`` (its committed offset, or the start of its log).

        Where the fetch stands is unknown until a record comes: Faust can hand out a batch fetched
        at the old position after the rebalance (it takes the generation once the fetch returned),
        and a jump from ``committed`` to it is no gap in the log.

        ``gapless``: the topic is not compacted, so an offset the consumer jumped over was skipped,
        not absent: it stays a hole and is fetched again, unless the broker shows no record there
        (:meth:`skip_absent`: a transaction marker takes an offset no consumer is handed). Faust
        skips records between fetching and handing out (a partition not active in its fetch loop,
        a generation change mid-batch) while aiokafka's position has moved on; taking that jump
        for a compaction gap committed past an order never processed (kill -9 e2e test: an order
        of a restarted orders processor never CREATED).
        """
        self.partitions[tp] = PartitionLedger(commit_point=committed, expected=None, gapless=gapless)

    def revoke(self, tps: Iterable[TP]) -> None:
        """Forget partitions this consumer no longer owns."""
        for tp in tps:
            self.partitions.pop(tp, None)

    def seek(self, tp: TP, offset: int) -> None:
        """The consumer will fetch ``tp`` from ``offset``: where it stands is unknown until a record comes."""
        ledger = self.partitions.get(tp)
        if ledger is not None:
            ledger.expected = None

    def handed_out(self, tp: TP, offset: int, timestamp_ms: int | None = None) -> None:
        """The consumer handed the record at ``offset`` of ``tp`` (written at ``timestamp_ms``) out."""
        ledger = self.partitions.get(tp)
        if ledger is not None:
            ledger.handed_out(offset, timestamp_ms)

    def done(self, tp: TP, offset: int) -> None:
        """The record at ``offset`` of ``tp`` was processed, its outputs acknowledged."""
        ledger = self.partitions.get(tp)
        if ledger is not None:
            ledger.done(offset)

    def commit_point(self, tp: TP) -> int | None:
        """The offset safe to commit for ``tp``: every offset below it was processed or is absent."""
        ledger = self.partitions.get(tp)
        return None if ledger is None else ledger.commit_point

    def head(self, tp: TP) -> tuple[int, int | None] | None:
        """``tp``'s commit point, the next offset to process, and the timestamp (epoch ms) of its record.

        The timestamp is known when that record was handed out and not processed yet; None when it
        was not handed out (not fetched yet, dropped and not fetched again, or absent from the log).
        """
        ledger = self.partitions.get(tp)
        if ledger is None:
            return None
        return ledger.commit_point, ledger.pending.get(ledger.commit_point)

    def to_refetch(
        self, now: float, idle: Iterable[TP], ends: Mapping[TP, int] | None = None
    ) -> list[tuple[TP, int]]:
        """The partitions to fetch again now, each from its commit point.

        ``idle``: the partitions whose agent has nothing queued and nothing in hand, so that an
        offset handed out and not processed there can only have been dropped. ``ends``: the end
        offsets the consumer's fetches saw; an idle partition with nothing handed out below its
        end is stuck too (its last offsets dropped, or a transaction marker the adapter shows
        absent with :meth:`skip_absent`).
        """
        idle_now = set(idle)
        ends = ends or {}
        due = []
        for tp, ledger in self.partitions.items():
            short = tp in idle_now and not ledger.pending and ends.get(tp, 0) > ledger.commit_point
            stuck = ledger.has_hole() or (ledger.has_tail() and tp in idle_now) or short
            if not stuck:
                ledger.stalled = None
                continue
            if ledger.stalled is None or ledger.stalled[1] != ledger.commit_point:
                ledger.stalled = (now, ledger.commit_point)
                continue
            if now - ledger.stalled[0] < self.refetch_after_s:
                continue
            if self._absent_for_good(ledger, now):
                continue
            if ledger.first_refetch is None:
                ledger.first_refetch = (now, ledger.commit_point)
            ledger.stalled = (now, ledger.commit_point)
            due.append((tp, ledger.commit_point))
        return due

    def skip_absent(self, tp: TP, start: int, next_record: int) -> bool:
        """The log holds no record from ``start`` (``tp``'s commit point) up to ``next_record``: move past.

        The broker said so (the first record at or after ``start`` is at ``next_record``): a
        transaction marker, or records compaction or retention removed. Returns whether the commit
        point moved; it does not when ``start`` is no longer the commit point or the range holds an
        offset handed out (the answer is then stale).
        """
        ledger = self.partitions.get(tp)
        if ledger is None or ledger.commit_point != start or next_record <= start:
            return False
        if any(start <= o < next_record for o in (*ledger.pending, *ledger.processed)):
            return False
        ledger.absent[start] = next_record
        ledger._advance()  # the ledger's own partition record
        return True

    def _absent_for_good(self, ledger: PartitionLedger, now: float) -> bool:
        """Move past a hole start fetched again for ``absent_after_s`` without ever coming back."""
        first = ledger.first_refetch
        point = ledger.commit_point
        if ledger.gapless or first is None or now - first[0] < self.absent_after_s or point in ledger.pending:
            return False
        above = [o for o in (*ledger.pending, *ledger.processed) if o > point]
        if not above or not ledger.has_hole():
            return False
        ledger.absent[point] = min(above)
        ledger._advance()  # the ledger's own partition record
        return True
