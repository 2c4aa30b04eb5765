"""The consumer adapter tells the offset ledger everything and commits what it says (no broker).

Faust's own consumer, driven without a broker: what is asserted is what the ledger heard, what the
next commit would hold and where the consumer would seek. The ledger's rules themselves are
property-tested in ``test_ledger.py``; the flush before a commit is integration-tested.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import faust
import pytest
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from stream_processors.common.app import App
from stream_processors.common.ledger import REFETCH_AFTER_S
from stream_processors.common.transport import DrainableBuffer, DrainingProducer, LedgerConsumer

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
    consumer._committed_offset[P0] = 10  # type: ignore[attr-defined]
    consumer.ledger.assign(P0, 10)  # as after seeking to the committed offset 10
    return consumer


def fetch(consumer: LedgerConsumer, offset: int, tracked: bool = True, tp: TP = P0) -> ConsumerMessage:
    """A record of ``tp`` as Faust turns it into a message on the way from the fetcher."""
    record = SimpleNamespace(
        topic=tp.topic,
        partition=tp.partition,
        offset=offset,
        timestamp=0,
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


async def test_processed_events_are_committed_in_order(consumer: LedgerConsumer) -> None:
    messages = [fetch(consumer, o) for o in (10, 11, 12)]
    assert consumer.ledger.partitions[P0].pending == {10, 11, 12}
    assert [consumer.ack(m) for m in messages] == [True, True, True]
    assert consumer._new_offset(P0) == 13
    assert consumer._acked[P0] == []  # type: ignore[attr-defined]  # Faust's own list does not grow


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
    consumer._acked.pop(P0, None)  # type: ignore[attr-defined]  # as Faust's revocation does
    consumer._acked_index.pop(P0, None)  # type: ignore[attr-defined]
    assert consumer.ack(late) is True  # the batch in hand finishes after the revocation
    consumer.start_ledger({P0: 10})  # its commit never happened: the group still has 10
    again = fetch(consumer, 10)  # fetched again in the new generation
    assert consumer.ledger.partitions[P0].pending == {10}
    assert consumer.ack(again) is True
    assert consumer.ack(again) is False  # a second ack of one message counts once
    assert consumer._new_offset(P0) == 11


async def test_a_dropped_event_is_fetched_again_once_its_agent_is_idle(consumer: LedgerConsumer) -> None:
    sought: list[tuple[TP, int]] = []

    async def seek(tp: TP, offset: int) -> None:
        sought.append((tp, offset))

    consumer.seek = seek  # type: ignore[method-assign]
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
    consumer._seek = _no_seek  # type: ignore[method-assign]  # no broker to seek on
    await consumer.seek(P0, 10)
    assert consumer.ledger.partitions[P0].expected is None


async def _no_seek(tp: TP, offset: int) -> None:
    return None


async def test_table_changelogs_are_not_in_the_ledger(consumer: LedgerConsumer) -> None:
    """Recovery reads them and no stream acks them: seeking them back would replay a table forever."""
    changelog = TP("ack-test-table-changelog", 0)
    consumer.app.topics.acking_topics.add(changelog.topic)
    consumer.app.tables.changelog_topics.add(changelog.topic)  # type: ignore[attr-defined]
    fetch(consumer, 10, tp=changelog)
    assert changelog not in consumer.ledger.partitions


async def test_the_app_produces_with_the_draining_producer(app: faust.App) -> None:
    assert isinstance(app.producer, DrainingProducer)
    assert isinstance(app.producer.buffer, DrainableBuffer)


def test_refetch_after_is_the_ledgers() -> None:
    assert REFETCH_AFTER_S == 5.0
