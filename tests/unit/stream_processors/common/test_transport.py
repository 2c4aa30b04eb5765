"""The consumer adapter tells the offset ledger everything and commits what it says (no broker).

Faust's own consumer, driven without a broker: what is asserted is what the ledger heard, what the
next commit would hold and where the consumer would seek. The ledger's rules themselves are
property-tested in ``test_ledger.py``; the flush before a commit is integration-tested.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace

import faust
import pytest
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from infra.settings import KafkaSettings
from stream_processors.common.app import App, _table
from stream_processors.common.ledger import REFETCH_AFTER_S
from stream_processors.common.producer import DrainableBuffer, DrainingProducer
from stream_processors.common.transport import LedgerConsumer

TOPIC = "orders"
P0 = TP(TOPIC, 0)


class Reader:
    """An agent reading TOPIC, idle or not."""

    def __init__(self, idle: bool) -> None:
        self.idle = idle
        self.topics = frozenset({TOPIC})


@pytest.fixture
async def app() -> AsyncIterator[faust.App]:
    app = App("ack-test", broker="kafka://127.0.0.1:1", store="memory://")
    app.topics.acking_topics.add(TOPIC)  # as the conductor does once an agent subscribes
    app.flow_control.resume()
    yield app


@pytest.fixture
def consumer(app: faust.App) -> LedgerConsumer:
    consumer = app.consumer
    assert isinstance(consumer, LedgerConsumer)
    consumer._committed_offset[P0] = 10  # Faust's, as after its seek to the committed offset
    consumer.ledger.assign(P0, 10)  # as after seeking to the committed offset 10
    return consumer


def fetch(
    consumer: LedgerConsumer, offset: int, tracked: bool = True, tp: TP = P0, timestamp_ms: int = 0
) -> ConsumerMessage:
    """A record of ``tp`` as Faust turns it into a message on the way from the fetcher."""
    record = SimpleNamespace(
        topic=tp.topic,
        partition=tp.partition,
        offset=offset,
        timestamp=timestamp_ms,
        timestamp_type=0,
        headers=[],
        key=b"k",
        value=b"v",
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=1,
    )
    message: ConsumerMessage = consumer._to_message(tp, record)
    message.tracked = tracked  # once the runtime admitted it (a skipped one never is)
    return message


async def test_the_ledger_keeps_the_timestamp_of_each_record_handed_out(consumer: LedgerConsumer) -> None:
    """The age of the oldest unprocessed record (``backlog``) is read from it."""
    fetch(consumer, 10, timestamp_ms=1_700_000_000_123)
    fetch(consumer, 11, timestamp_ms=1_700_000_000_456)
    assert consumer.ledger.head(P0) == (10, 1_700_000_000_123)


async def test_processed_events_are_committed_in_order(consumer: LedgerConsumer) -> None:
    messages = [fetch(consumer, o) for o in (10, 11, 12)]
    assert set(consumer.ledger.partitions[P0].pending) == {10, 11, 12}
    assert [consumer.ack(m) for m in messages] == [True, True, True]
    assert consumer._new_offset(P0) == 13
    assert consumer._acked[P0] == []  # Faust's own list does not grow


async def test_a_skipped_event_holds_commits_until_it_is_processed(consumer: LedgerConsumer) -> None:
    skipped, later = fetch(consumer, 10, tracked=False), fetch(consumer, 11)
    assert consumer.ack(skipped) is False
    assert skipped.acked is False
    assert consumer.ack(later) is True
    assert consumer._new_offset(P0) == 10  # Faust alone commits 12: a one-offset hole passes
    assert consumer.ack(fetch(consumer, 10)) is True  # fetched again, processed
    assert consumer._new_offset(P0) == 12


async def test_an_ack_landing_between_revocation_and_assignment_refuses_nothing_later(
    consumer: LedgerConsumer,
) -> None:
    """Worker-fault test: a batch acked while the group rebalanced left its offsets in Faust's index."""
    late = fetch(consumer, 10)
    consumer._acked.pop(P0, None)  # as Faust's revocation does
    consumer._acked_index.pop(P0, None)
    assert consumer.ack(late) is True  # the batch in hand finishes after the revocation
    consumer.start_ledger({P0: 10})  # its commit never happened: the group still has 10
    again = fetch(consumer, 10)  # fetched again in the new generation
    assert set(consumer.ledger.partitions[P0].pending) == {10}
    assert consumer.ack(again) is True
    assert consumer.ack(again) is False  # a second ack of one message counts once
    assert consumer._new_offset(P0) == 11


async def test_a_dropped_event_is_fetched_again_once_its_agent_is_idle(consumer: LedgerConsumer) -> None:
    sought: list[tuple[TP, int]] = []

    async def seek(tp: TP, offset: int) -> None:
        sought.append((tp, offset))

    consumer.seek = seek  # type: ignore[method-assign,assignment]  # a seek recorder instead of a broker
    fetch(consumer, 10)  # handed out, then dropped: nothing above it is processed
    consumer.readers = [Reader(idle=False)]
    consumer.ledger.partitions[P0].stalled = (0.0, 10)  # long ago
    await consumer.refetch_dropped()
    assert sought == []  # the agent still has events in hand: it may be on its way
    consumer.readers = [Reader(idle=True)]
    await consumer.refetch_dropped()  # idle from now on
    assert sought == []
    consumer.ledger.partitions[P0].stalled = (0.0, 10)  # ...long enough
    await consumer.refetch_dropped()
    assert sought == [(P0, 10)]


async def test_no_seeking_while_a_rebalance_is_under_way(consumer: LedgerConsumer) -> None:
    consumer.ack(fetch(consumer, 11))
    consumer.ledger.partitions[P0].stalled = (0.0, 10)
    consumer.app.flow_control.suspend()  # the rebalance seeks to the committed offsets itself
    await consumer.refetch_dropped()
    assert consumer.ledger.partitions[P0].first_refetch is None


async def test_a_seek_makes_the_ledger_forget_where_the_fetch_stands(consumer: LedgerConsumer) -> None:
    consumer.ledger.handed_out(P0, 10)
    assert consumer.ledger.partitions[P0].expected == 11
    consumer._seek = _no_seek  # type: ignore[method-assign,assignment]  # no broker to seek on
    await consumer.seek(P0, 10)
    assert consumer.ledger.partitions[P0].expected is None


async def _no_seek(tp: TP, offset: int) -> None:
    return None


def changelog_of(app: faust.App, name: str) -> str:
    """A table called ``name`` on the app, whose changelog (returned) is an acking channel as ours are."""
    topic = f"{app.conf.id}-{name}-changelog"
    _table(app, name, KafkaSettings(), "json", app.topic(topic, key_type=str, value_type=bytes))
    app.topics.acking_topics.add(topic)  # as the conductor does once the table manager subscribes it
    return topic


async def test_table_changelogs_are_not_in_the_ledger(
    app: faust.App, consumer: LedgerConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recovery reads them and no stream acks them: seeking them back would replay a table forever."""
    changelog = TP(changelog_of(app, "table"), 0)

    async def committed() -> dict[TP, int]:  # what the broker answers: both partitions at 10
        return {P0: 10, changelog: 10}

    monkeypatch.setattr(consumer._thread, "seek_to_committed", committed)
    await consumer.seek_to_committed()
    assert set(consumer.ledger.partitions) == {P0}
    fetch(consumer, 10, tp=changelog)
    assert set(consumer.ledger.partitions) == {P0}


async def test_the_app_produces_with_the_draining_producer(app: faust.App) -> None:
    assert isinstance(app.producer, DrainingProducer)
    assert isinstance(app.producer.buffer, DrainableBuffer)


def test_refetch_after_is_the_ledgers() -> None:
    assert REFETCH_AFTER_S == 5.0


class Fetches:
    """aiokafka's view of the assigned partitions, as the consumer thread's livelock check reads it."""

    def __init__(self) -> None:
        self.states: dict[TP, SimpleNamespace] = {}
        self.active = True  # an assignment is in force

    def add(self, tp: TP, highwater: int, position: int, fetched: bool = True) -> None:
        """``tp`` answered a fetch just now (or never); ``position`` is as far as it was handed on."""
        # aiokafka stamps a fetch with the wall clock (Faust compares it with its monotonic clock)
        timestamp = time.time() * 1000 if fetched else None
        self.states[tp] = SimpleNamespace(timestamp=timestamp, highwater=highwater, position=position)

    def state_value(self, tp: tuple[str, int]) -> SimpleNamespace | None:
        return self.states.get(TP(*tp))

    def assignment(self) -> set[TP]:
        return set(self.states)


@pytest.fixture
def fetches(consumer: LedgerConsumer, monkeypatch: pytest.MonkeyPatch) -> Fetches:
    """The consumer thread over a fake aiokafka consumer, its worker started 10 minutes ago."""
    fetches = Fetches()
    subscriptions = SimpleNamespace(subscription=SimpleNamespace(assignment=fetches))
    aiokafka = SimpleNamespace(
        _fetcher=SimpleNamespace(_subscriptions=subscriptions), assignment=fetches.assignment
    )
    monkeypatch.setattr(consumer._thread, "_consumer", aiokafka)
    monkeypatch.setattr(consumer._thread, "time_started", time.monotonic() - 600, raising=False)
    return fetches


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The ERROR records logged so far, each up to where it says how long ago."""
    return [r.getMessage().split(" (")[0] for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_stalled_input_is_reported_and_a_changelog_behind_its_tables_writes_is_not(
    app: faust.App, consumer: LedgerConsumer, fetches: Fetches, caplog: pytest.LogCaptureFixture
) -> None:
    """Healthy system, every few minutes: "Stream has not started processing TP(...-changelog...)".

    After recovery Faust keeps an active table's changelog from delivery; aiokafka fetches the
    table's own writes and holds them, behind the high watermark, and no stream ever sees them.
    """
    changelog = TP(changelog_of(app, "stock"), 0)
    fetches.add(P0, highwater=20, position=10)  # fetched, never reached a stream: stalled
    fetches.add(changelog, highwater=20, position=10)
    await consumer.verify_all_partitions_active()  # what Faust's livelock detector runs
    assert errors(caplog) == [f"[^--CommittedReadsThread]: Stream has not started processing {P0!r}"]


async def test_an_active_tables_changelog_gets_no_check_once_restored(
    app: faust.App, consumer: LedgerConsumer, fetches: Fetches, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing reads it until the next recovery, which checks its own progress."""
    changelog = TP(changelog_of(app, "stock"), 0)
    fetches.add(P0, highwater=20, position=10, fetched=False)
    fetches.add(changelog, highwater=20, position=10, fetched=False)
    await consumer.verify_all_partitions_active()
    assert errors(caplog) == [
        f"[^--CommittedReadsThread]: Aiokafka has not sent fetch request for {P0!r} since start"
    ]


async def test_a_standby_changelog_gets_the_check_of_recovery_reads(
    app: faust.App,
    consumer: LedgerConsumer,
    fetches: Fetches,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Recovery reads a standby all the time: aiokafka must be fetching it; no stream need see it."""
    topic = changelog_of(app, "stock")
    behind, unfetched = TP(topic, 1), TP(topic, 2)
    monkeypatch.setattr(app.assignor, "assigned_standbys", lambda: {behind, unfetched})
    fetches.add(behind, highwater=20, position=10)  # the active worker writes on: always a bit behind
    fetches.add(unfetched, highwater=20, position=10, fetched=False)
    await consumer.verify_all_partitions_active()
    assert errors(caplog) == [
        f"[^--CommittedReadsThread]: Aiokafka has not sent fetch request for {unfetched!r} since start"
    ]
