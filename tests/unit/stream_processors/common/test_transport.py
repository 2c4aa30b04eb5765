"""Offsets are committed only past processed events (the flush before a commit: integration).

Faust's own consumer, driven without a broker: its acked-offset bookkeeping is plain Python, and
what is asserted is what the next commit would hold and where it would seek.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import faust
import pytest
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from stream_processors.common import transport
from stream_processors.common.app import App
from stream_processors.common.transport import (
    DrainableBuffer,
    DrainingProducer,
    PythonAckStream,
    RebalanceSafeConsumer,
)

TOPIC = "orders"
P0 = TP(TOPIC, 0)


def message(offset: int, tracked: bool = True) -> ConsumerMessage:
    """A fetched message; ``tracked`` once Faust handed it to a stream (a skipped one never is)."""
    fetched = ConsumerMessage(TOPIC, 0, offset, 0.0, 0, None, b"k", b"v", None, tp=P0, generation_id=1)
    fetched.tracked = tracked
    return fetched


@pytest.fixture
async def app() -> AsyncIterator[faust.App]:
    app = App("ack-test", broker="kafka://127.0.0.1:1", store="memory://", Stream=PythonAckStream)
    app.topics.acking_topics.add(TOPIC)  # as the conductor does once an agent subscribes
    app.flow_control.resume()
    yield app


@pytest.fixture
def consumer(app: faust.App) -> RebalanceSafeConsumer:
    consumer = app.consumer
    assert isinstance(consumer, RebalanceSafeConsumer)
    consumer._committed_offset[P0] = 10  # type: ignore[attr-defined]
    consumer.anchors[P0] = 10  # as after seeking to the committed offset 10
    return consumer


def next_commit(consumer: RebalanceSafeConsumer) -> int | None:
    """The offset the next commit of P0 would write (None: nothing to commit)."""
    return consumer._new_offset(P0)


async def test_processed_events_are_committed_in_order(consumer: RebalanceSafeConsumer) -> None:
    assert [consumer.ack(message(o)) for o in (10, 11, 12)] == [True, True, True]
    assert next_commit(consumer) == 13


async def test_a_skipped_event_holds_commits_until_it_is_processed(consumer: RebalanceSafeConsumer) -> None:
    skipped = message(10, tracked=False)
    assert consumer.ack(skipped) is False
    assert skipped.acked is False
    assert consumer.ack(message(11)) is True
    assert next_commit(consumer) is None  # Faust alone commits 12: a one-offset hole passes
    assert consumer.ack(message(10)) is True  # fetched again after the rebalance, processed
    assert next_commit(consumer) == 12


async def test_a_hole_holds_commits_of_a_partition_never_committed(consumer: RebalanceSafeConsumer) -> None:
    consumer._committed_offset[P0] = None  # type: ignore[attr-defined]
    consumer.anchors[P0] = 0  # the log start
    consumer.ack(message(2))
    consumer.ack(message(3))
    assert next_commit(consumer) is None  # Faust alone commits 4, past offsets 0 and 1
    assert consumer.holes[P0].start == 0


async def test_offsets_absent_from_the_log_are_no_hole(consumer: RebalanceSafeConsumer) -> None:
    consumer._gap[P0].addi(10, 12)  # type: ignore[attr-defined]  # as Faust records a jump in offsets
    consumer.ack(message(12))
    assert next_commit(consumer) == 13


async def test_a_hole_is_fetched_again_and_a_compacted_first_offset_passed_at_last(
    consumer: RebalanceSafeConsumer,
) -> None:
    consumer.ack(message(11))
    assert next_commit(consumer) is None
    since = consumer.holes[P0].since
    assert consumer.due_holes({P0}, since + transport.REFETCH_AFTER_S - 0.1) == []
    assert consumer.due_holes({TP(TOPIC, 1)}, since + transport.REFETCH_AFTER_S) == []  # not ours
    assert consumer.due_holes({P0}, since + transport.REFETCH_AFTER_S) == [(P0, 10)]
    again = since + 2 * transport.REFETCH_AFTER_S
    assert consumer.due_holes({P0}, again - 0.1) == []
    assert consumer.due_holes({P0}, again) == [(P0, 10)]  # a seek-back can miss: fetched again
    later = since + transport.REFETCH_AFTER_S + transport.ABSENT_AFTER_S
    assert consumer.due_holes({P0}, later - 0.1) == [(P0, 10)]  # still trying
    assert consumer.due_holes({P0}, later + transport.REFETCH_AFTER_S) == []  # never back: not in the log
    assert consumer.anchors[P0] == 11
    assert next_commit(consumer) == 12


async def test_streams_ack_through_the_consumer_not_the_cython_shortcut(app: faust.App) -> None:
    stream = app.stream(app.channel())
    assert isinstance(stream, PythonAckStream)
    iterator = stream.__aiter__()
    assert iterator.__qualname__ == "Stream._py_aiter"  # type: ignore[attr-defined]
    await iterator.aclose()  # type: ignore[attr-defined]


async def test_the_app_produces_with_the_draining_producer(app: faust.App) -> None:
    assert isinstance(app.producer, DrainingProducer)
    assert isinstance(app.producer.buffer, DrainableBuffer)


async def test_no_seeking_while_a_rebalance_is_under_way(consumer: RebalanceSafeConsumer) -> None:
    consumer.ack(message(11))
    assert next_commit(consumer) is None
    consumer.holes[P0].since = 0.0  # long overdue
    consumer.app.flow_control.suspend()  # the rebalance seeks to the committed offsets itself
    await consumer.refetch_holes()
    assert consumer.holes[P0].first_sought is None


def fetch(consumer: RebalanceSafeConsumer, offset: int) -> ConsumerMessage:
    """A record of P0 as Faust turns it into a message on the way from the fetcher."""
    record = SimpleNamespace(
        topic=TOPIC,
        partition=0,
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
    return consumer._to_message(P0, record)


async def test_a_dropped_last_event_is_fetched_again(consumer: RebalanceSafeConsumer) -> None:
    fetch(consumer, 10)  # fetched, then dropped by the stream without an ack: nothing holds it
    assert consumer.fetched[P0] == 10
    assert consumer.due_tails({P0}, 100.0) == []  # the stall starts
    assert consumer.due_tails({P0}, 100.0 + transport.REFETCH_AFTER_S - 0.1) == []
    assert consumer.due_tails({TP(TOPIC, 1)}, 100.0 + transport.REFETCH_AFTER_S) == []  # P0 is gone
    assert consumer.due_tails({P0}, 200.0) == []  # back: the stall starts again
    assert consumer.due_tails({P0}, 200.0 + transport.REFETCH_AFTER_S) == [(P0, 10)]
    assert consumer.due_tails({P0}, 200.0 + transport.REFETCH_AFTER_S + 1) == []  # sought just now


async def test_an_event_still_on_its_way_is_not_fetched_again(consumer: RebalanceSafeConsumer) -> None:
    queued = fetch(consumer, 10)  # waiting in a stream's buffer, or being processed
    consumer.due_tails({P0}, 100.0)
    assert consumer.due_tails({P0}, 100.0 + transport.REFETCH_AFTER_S) == []
    queued.tracked = False  # the stream skipped it: its ack is refused
    assert consumer.ack(queued) is False
    assert consumer.due_tails({P0}, 100.0 + transport.REFETCH_AFTER_S) == [(P0, 10)]


async def test_a_partition_with_processed_events_is_no_stall(consumer: RebalanceSafeConsumer) -> None:
    processed = fetch(consumer, 10)
    processed.tracked = True
    assert consumer.ack(processed) is True
    consumer.due_tails({P0}, 100.0)
    assert consumer.due_tails({P0}, 100.0 + transport.REFETCH_AFTER_S) == []  # committed next
    consumer.anchors[P0] = next_commit(consumer) or 0
    assert consumer.due_tails({P0}, 200.0 + transport.REFETCH_AFTER_S) == []  # nothing fetched past 11


async def test_table_changelogs_are_never_fetched_again(consumer: RebalanceSafeConsumer) -> None:
    """Recovery reads them and no stream acks them: seeking them back would replay a table forever."""
    consumer.changelogs = {TOPIC}
    fetch(consumer, 10)
    assert consumer.fetched == {}
    consumer.due_tails({P0}, 100.0)
    assert consumer.due_tails({P0}, 100.0 + transport.REFETCH_AFTER_S) == []
