"""The offset ledger, against a model of a consumer that drops events and hands out stale batches.

The model has a log with offsets missing (compaction), a fetch position, batches fetched and not
yet handed out (a batch fetched before a seek-back is still handed out after it, as Faust's fetch
loop does), events in the agent's hands (processed in order, or dropped), and a clock. Hypothesis
drives it with random steps; two properties must hold:

- **safety**: the commit point never passes an offset of the log that was not processed;
- **liveness**: once drops stop, driving the consumer as the adapter does (hand out, process,
  ask the ledger what to fetch again, seek there) processes every offset of the log.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from stream_processors.common.ledger import ABSENT_AFTER_S, REFETCH_AFTER_S, OffsetLedger

TP = "orders-0"


@dataclass
class Model:
    """A consumer of one partition whose log holds ``log`` (sorted offsets), driven step by step."""

    log: list[int]
    committed: int = 0
    ledger: OffsetLedger[str] = field(default_factory=OffsetLedger)
    position: int = 0
    fetched: deque[list[int]] = field(default_factory=deque)  # batches not handed out yet
    in_hand: deque[int] = field(default_factory=deque)  # handed out, queued for the agent
    processed: set[int] = field(default_factory=set)
    now: float = 0.0

    def __post_init__(self) -> None:
        self.ledger.assign(TP, self.committed)
        self.position = self.committed

    def fetch(self, n: int) -> None:
        batch = [o for o in self.log if o >= self.position][: max(1, n)]
        if batch:
            self.fetched.append(batch)
            self.position = batch[-1] + 1

    def hand_out(self, n: int) -> None:
        for _ in range(n):
            if not self.fetched:
                return
            batch = self.fetched[0]
            offset = batch.pop(0)
            if not batch:
                self.fetched.popleft()
            self.ledger.handed_out(TP, offset)
            self.in_hand.append(offset)

    def process(self, n: int) -> None:
        for _ in range(min(n, len(self.in_hand))):
            offset = self.in_hand.popleft()
            self.processed.add(offset)
            self.ledger.done(TP, offset)

    def drop(self, n: int) -> None:
        for _ in range(min(n, len(self.in_hand))):
            self.in_hand.popleft()

    def rebalance(self, n: int) -> None:
        """The partition is assigned anew at the committed offset, and fetching restarts there.

        Odd ``n``: a batch fetched before the rebalance is still handed out after it, and events in
        the agent's hands are still processed (Faust's fetch loop takes the generation after the
        fetch returned; the agent finishes its batch). Even ``n``: both are gone.
        """
        if n % 2 == 0:
            self.fetched.clear()
            self.in_hand.clear()
        self.ledger.assign(TP, self.committed)
        self.position = self.committed

    def check(self, seconds: float) -> None:
        """Time passes, then the adapter's commit step: fetch again what the ledger says, commit."""
        self.now += seconds
        idle = [TP] if not self.in_hand else []
        for _, offset in self.ledger.to_refetch(self.now, idle):
            self.ledger.seek(TP, offset)
            self.position = offset  # batches fetched before it stay queued: Faust hands them on
        point = self.ledger.commit_point(TP)
        assert point is not None
        unprocessed = [o for o in self.log if o < point and o not in self.processed]
        assert not unprocessed, f"commit point {point} passes unprocessed offsets {unprocessed}"
        self.committed = max(self.committed, point)

    def settle(self) -> None:
        """No more drops: run the consumer as the adapter does until nothing is left to do."""
        for _ in range(int(4 * ABSENT_AFTER_S / REFETCH_AFTER_S)):  # long enough to pass an absent start
            self.fetch(50)
            self.hand_out(10_000)
            self.process(10_000)
            self.check(REFETCH_AFTER_S / 2)
            end = self.log[-1] + 1 if self.log else self.committed
            if set(self.log) <= self.processed and not self.fetched and self.committed >= end:
                return


ACTIONS = ["fetch", "hand_out", "process", "drop", "check", "rebalance"]
STEP = st.tuples(st.sampled_from(ACTIONS), st.integers(1, 8))
LOGS = st.lists(st.booleans(), min_size=1, max_size=60).map(lambda kept: [o for o, k in enumerate(kept) if k])


@settings(max_examples=400, deadline=None)
@given(log=LOGS, steps=st.lists(STEP, max_size=80), start=st.integers(0, 3))
def test_never_commits_past_an_unprocessed_offset_and_every_offset_is_processed(
    log: list[int], steps: list[tuple[str, int]], start: int
) -> None:
    model = Model(log=log, committed=start)
    model.log = [o for o in log if o >= start]  # what the group has yet to process
    for action, n in steps:
        if action == "check":
            model.check(n * REFETCH_AFTER_S / 4)
        else:
            getattr(model, action)(n)
    model.settle()
    assert set(model.log) <= model.processed
    point = model.ledger.commit_point(TP)
    assert point is not None
    assert point >= (model.log[-1] + 1 if model.log else start)


def assigned(*, gapless: bool = False) -> OffsetLedger[str]:
    """A ledger with TP assigned at committed offset 10."""
    ledger: OffsetLedger[str] = OffsetLedger()
    ledger.assign(TP, 10, gapless=gapless)
    return ledger


def processed(ledger: OffsetLedger[str], *offsets: int) -> None:
    """Hand out and finish each of ``offsets`` of TP, in order."""
    for offset in offsets:
        ledger.handed_out(TP, offset)
        ledger.done(TP, offset)


def test_offsets_jumped_over_by_a_fetch_from_a_known_position_are_absent() -> None:
    ledger = assigned()
    processed(ledger, 10, 13, 14)
    assert ledger.commit_point(TP) == 15


def test_on_a_topic_that_is_not_compacted_a_jump_is_records_skipped_and_they_are_fetched_again() -> None:
    """Faust skipped 11 and 12 between fetching and handing out; the log has them: never absent."""
    ledger = assigned(gapless=True)
    processed(ledger, 10, 13, 14)
    assert ledger.commit_point(TP) == 11
    assert ledger.to_refetch(0.0, [TP]) == []
    assert ledger.to_refetch(REFETCH_AFTER_S, [TP]) == [(TP, 11)]
    assert ledger.to_refetch(REFETCH_AFTER_S + ABSENT_AFTER_S, [TP]) == [(TP, 11)]  # still, never absent
    assert ledger.commit_point(TP) == 11
    ledger.seek(TP, 11)
    processed(ledger, 11, 12, 13, 14)  # fetched again: the processed ones come back too
    assert ledger.commit_point(TP) == 15


def test_a_transaction_marker_the_broker_shows_is_moved_past_and_nothing_else() -> None:
    """A re-drive's commit marker at 11: no consumer is handed it, the broker's next record is 12."""
    ledger = assigned(gapless=True)
    processed(ledger, 10, 12, 13)
    assert ledger.to_refetch(REFETCH_AFTER_S, [TP]) == [] and ledger.to_refetch(
        2 * REFETCH_AFTER_S, [TP]
    ) == [(TP, 11)]
    assert not ledger.skip_absent(TP, 10, 12)  # not the commit point: a stale answer
    assert not ledger.skip_absent(TP, 11, 11)  # the record is there: fetch it again
    assert not ledger.skip_absent(TP, 11, 13)  # 12 was handed out: the answer cannot be right
    assert ledger.commit_point(TP) == 11
    assert ledger.skip_absent(TP, 11, 12)
    assert ledger.commit_point(TP) == 14
    assert not ledger.skip_absent("other-0", 0, 1)  # not assigned


def test_an_idle_partition_short_of_the_end_it_fetched_is_stuck_too() -> None:
    """The last record at 10 processed; the end is 12 (its transaction's marker at 11)."""
    ledger = assigned(gapless=True)
    processed(ledger, 10)
    assert ledger.to_refetch(0.0, [TP], {TP: 12}) == []
    assert ledger.to_refetch(REFETCH_AFTER_S, [], {TP: 12}) == []  # its agent busy: not stuck
    assert ledger.to_refetch(REFETCH_AFTER_S, [TP], {TP: 11}) == []  # caught up with the end
    assert ledger.to_refetch(REFETCH_AFTER_S + 1, [TP], {TP: 12}) == []
    assert ledger.to_refetch(2 * REFETCH_AFTER_S + 1, [TP], {TP: 12}) == [(TP, 11)]
    assert ledger.skip_absent(TP, 11, 12)
    assert ledger.commit_point(TP) == 12
    assert ledger.to_refetch(4 * REFETCH_AFTER_S, [TP], {TP: 12}) == []


def test_after_a_seek_a_jump_is_not_taken_for_absent_offsets() -> None:
    ledger = assigned()
    ledger.handed_out(TP, 10)  # dropped
    ledger.seek(TP, 10)
    processed(ledger, 12, 13)  # a batch fetched before the seek, handed out after it
    assert ledger.commit_point(TP) == 10
    assert ledger.to_refetch(0.0, []) == []  # the hole is seen now...
    assert ledger.to_refetch(REFETCH_AFTER_S, []) == [(TP, 10)]  # ...and fetched again once it stays
    assert ledger.to_refetch(REFETCH_AFTER_S + 1, []) == []
    assert ledger.to_refetch(2 * REFETCH_AFTER_S, []) == [(TP, 10)]  # again while it stays


def test_a_dropped_tail_is_fetched_again_only_while_its_agent_is_idle() -> None:
    ledger: OffsetLedger[str] = OffsetLedger()
    ledger.assign(TP, 10)
    ledger.handed_out(TP, 10)
    ledger.handed_out(TP, 11)
    assert ledger.to_refetch(0.0, []) == []
    assert ledger.to_refetch(100.0, []) == []  # busy: still on its way
    assert ledger.to_refetch(101.0, [TP]) == []
    assert ledger.to_refetch(101.0 + REFETCH_AFTER_S, [TP]) == [(TP, 10)]
    ledger.done(TP, 10)
    ledger.done(TP, 11)
    assert (ledger.commit_point(TP), ledger.to_refetch(1000.0, [TP])) == (12, [])


def test_a_hole_start_never_fetched_again_is_absent_after_the_absent_time() -> None:
    ledger: OffsetLedger[str] = OffsetLedger()
    ledger.assign(TP, 10)
    ledger.seek(TP, 10)
    ledger.handed_out(TP, 11)  # 10 was compacted away; after the seek the ledger cannot know
    ledger.done(TP, 11)
    ledger.to_refetch(0.0, [TP])
    assert ledger.to_refetch(REFETCH_AFTER_S, [TP]) == [(TP, 10)]
    assert ledger.to_refetch(ABSENT_AFTER_S, [TP]) == [(TP, 10)]
    assert ledger.commit_point(TP) == 10
    assert ledger.to_refetch(REFETCH_AFTER_S + ABSENT_AFTER_S, [TP]) == []
    assert ledger.commit_point(TP) == 12


def test_revoked_partitions_are_forgotten() -> None:
    ledger: OffsetLedger[str] = OffsetLedger()
    ledger.assign(TP, 10)
    ledger.revoke([TP])
    ledger.handed_out(TP, 10)
    ledger.done(TP, 10)
    assert (ledger.commit_point(TP), ledger.partitions) == (None, {})


def test_a_batch_fetched_before_a_rebalance_and_handed_out_after_it_passes_no_offset() -> None:
    """Faust takes the generation once the fetch returned: records fetched at the old position
    (above the committed offset) can come first after the partition is assigned anew, and the
    jump from the committed offset to them is no gap in the log (the CI run of 2026-11-29 lost a
    SHIP this way under kill -9)."""
    model = Model(log=list(range(40)))
    model.fetch(10)  # 0..9
    model.hand_out(10)  # in the agent's hands
    model.fetch(10)  # 10..19, not handed out yet
    model.rebalance(1)  # assigned anew at 0; the fetched batch survives
    model.drop(10)  # 0..9 were dropped around the rebalance
    model.hand_out(10)  # 10..19 handed out after it
    model.process(10)
    model.check(0.0)  # must not commit past 0..9
    model.settle()
    assert set(model.log) <= model.processed
