"""The consumer refuses to mark safe to commit a message whose rebalance is over (no broker needed)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import faust
import pytest
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from stream_processors.common.app import App
from stream_processors.common.transport import RebalanceSafeConsumer

TOPIC = "orders"


def message(offset: int, generation: int) -> ConsumerMessage:
    return ConsumerMessage(
        TOPIC, 0, offset, 0.0, 0, None, b"k", b"v", None, tp=TP(TOPIC, 0), generation_id=generation
    )


@pytest.fixture
async def app() -> AsyncIterator[faust.App]:
    app = App("ack-test", broker="kafka://127.0.0.1:1", store="memory://")
    app.topics.acking_topics.add(TOPIC)  # as the conductor does once an agent subscribes
    app.consumer_generation_id = 7
    app.flow_control.resume()
    yield app


def acked_offsets(app: faust.App) -> list[int]:
    return list(app.consumer._acked[TP(TOPIC, 0)])  # type: ignore[attr-defined]


async def test_the_app_consumes_with_the_rebalance_safe_consumer(app: faust.App) -> None:
    assert isinstance(app.consumer, RebalanceSafeConsumer)


async def test_a_message_of_the_current_generation_is_acked(app: faust.App) -> None:
    assert app.consumer.ack(message(0, 7)) is True
    assert app.consumer.ack(message(1, 7)) is True
    assert acked_offsets(app) == [0, 1]


async def test_a_message_fetched_before_the_last_rebalance_is_never_acked(app: faust.App) -> None:
    stale = message(0, 6)
    assert app.consumer.ack(stale) is False
    assert stale.acked is False
    assert acked_offsets(app) == []


async def test_nothing_is_acked_while_flow_is_suspended_for_a_rebalance(app: faust.App) -> None:
    app.flow_control.suspend()
    assert app.consumer.ack(message(0, 7)) is False
    app.flow_control.resume()
    assert app.consumer.ack(message(1, 7)) is True
    assert acked_offsets(app) == [1]
