"""Consumer lag for the dashboard: exact arithmetic, and one Kafka round trip per interval."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpx
import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError
from fastapi import FastAPI

from consumers.query_api.lag import LagMonitor, LagUnavailableError
from consumers.query_api.routes import dashboard
from infra.lag import Snapshot, group_lag, lag_by_topic, processor_groups

TP = TopicPartition


def test_lag_is_end_minus_committed_per_partition_and_summed() -> None:
    committed = {TP("order-requests", 0): 10, TP("order-requests", 1): 7, TP("payments", 0): 3}
    ends = {TP("order-requests", 0): 15, TP("order-requests", 1): 7, TP("payments", 0): 5}
    assert group_lag(committed, ends) == {
        "lag": 7,
        "partitions": [
            {"topic": "order-requests", "partition": 0, "committed": 10, "end": 15, "lag": 5},
            {"topic": "order-requests", "partition": 1, "committed": 7, "end": 7, "lag": 0},
            {"topic": "payments", "partition": 0, "committed": 3, "end": 5, "lag": 2},
        ],
    }


def test_changelogs_are_left_out_and_repartition_topics_count() -> None:
    committed = {TP("shopstream-fraud-recent-changelog", 0): 0, TP("shopstream-x-repartition", 0): 1}
    ends = {TP("shopstream-fraud-recent-changelog", 0): 100, TP("shopstream-x-repartition", 0): 4}
    result = group_lag(committed, ends)
    assert result["lag"] == 3
    assert [p["topic"] for p in result["partitions"]] == ["shopstream-x-repartition"]


def test_lag_never_negative_unknown_end_counts_zero_and_nothing_committed_is_none() -> None:
    assert group_lag({TP("t", 0): 9}, {TP("t", 0): 4})["lag"] == 0
    assert group_lag({TP("t", 0): 9}, {})["partitions"][0] == {
        "topic": "t",
        "partition": 0,
        "committed": 9,
        "end": None,
        "lag": 0,
    }
    assert group_lag({}, {}) == {"lag": None, "partitions": []}


def test_groups_are_the_processors_faust_app_ids() -> None:
    assert processor_groups("p.") == {
        "p.shopstream-orders": "orders",
        "p.shopstream-order-details": "order-details",
        "p.shopstream-inventory": "inventory",
        "p.shopstream-fraud": "fraud",
        "p.shopstream-notifications": "notifications",
        "p.shopstream-analytics": "analytics",
    }


class FakeOffsets:
    """Offsets of two groups; counts the reads and can be made to fail or to answer slowly."""

    def __init__(self) -> None:
        self.committed_calls = 0
        self.end_calls = 0
        self.fail = False
        self.gate: asyncio.Event | None = None
        self.ends = {TP("order-requests", 0): 12}

    async def committed(self, group: str) -> dict[TopicPartition, int]:
        self.committed_calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise KafkaConnectionError("broker down")
        return {TP("order-requests", 0): 10} if group == "g-orders" else {}

    async def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        self.end_calls += 1
        return {tp: self.ends[tp] for tp in partitions}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


GROUPS = {"g-orders": "orders", "g-fraud": "fraud"}


async def test_snapshot_is_cached_for_the_interval_then_read_again() -> None:
    source, clock = FakeOffsets(), Clock()
    monitor = LagMonitor(source, GROUPS, interval_s=3, clock=clock)
    first = await monitor.snapshot()
    assert first["g-orders"]["lag"] == 2
    assert first["g-orders"]["processor"] == "orders"
    assert first["g-fraud"] == {"processor": "fraud", "lag": None, "partitions": []}
    source.ends[TP("order-requests", 0)] = 20
    clock.now += 2.9
    assert (await monitor.snapshot())["g-orders"]["lag"] == 2
    assert (source.committed_calls, source.end_calls) == (2, 1)
    clock.now += 0.1
    assert (await monitor.snapshot())["g-orders"]["lag"] == 10
    assert (source.committed_calls, source.end_calls) == (4, 2)


async def test_concurrent_viewers_share_one_round_trip() -> None:
    source = FakeOffsets()
    source.gate = asyncio.Event()
    monitor = LagMonitor(source, GROUPS, interval_s=3, clock=Clock())
    viewers = [asyncio.create_task(monitor.snapshot()) for _ in range(10)]
    await asyncio.sleep(0)
    source.gate.set()
    results = await asyncio.gather(*viewers)
    assert all(r["g-orders"]["lag"] == 2 for r in results)
    assert (source.committed_calls, source.end_calls) == (2, 1)


async def test_kafka_failure_is_an_error_cached_for_the_interval_then_retried() -> None:
    source, clock = FakeOffsets(), Clock()
    source.fail = True
    monitor = LagMonitor(source, GROUPS, interval_s=3, clock=clock)
    with pytest.raises(LagUnavailableError) as raised:
        await monitor.snapshot()
    assert isinstance(raised.value.__cause__, KafkaConnectionError)
    with pytest.raises(LagUnavailableError):
        await monitor.snapshot()
    assert source.committed_calls == 1
    source.fail = False
    clock.now += 3
    assert (await monitor.snapshot())["g-orders"]["lag"] == 2


async def test_lag_route_answers_json_or_503() -> None:
    source = FakeOffsets()
    app = FastAPI()
    app.include_router(dashboard.router)
    app.state.lag = LagMonitor(source, GROUPS, interval_s=3, clock=Clock())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://q") as client:
        response = await client.get("/dashboard/lag")
        assert response.status_code == 200
        assert response.json()["g-orders"]["lag"] == 2
        source.fail = True
        app.state.lag = LagMonitor(source, GROUPS, interval_s=3, clock=Clock())
        response = await client.get("/dashboard/lag")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"


def test_lag_by_topic_sums_partitions_per_topic_and_groups_in_all() -> None:
    committed = {TP("order-requests", 0): 10, TP("order-requests", 1): 7, TP("payments", 0): 3}
    ends = {TP("order-requests", 0): 15, TP("order-requests", 1): 9, TP("payments", 0): 5}
    snapshot: Snapshot = {
        "g-orders": {"processor": "orders", **group_lag(committed, ends)},
        "g-fraud": {"processor": "fraud", **group_lag({}, {})},
    }
    assert lag_by_topic(snapshot) == {
        "total": 9,
        "groups": [
            {"group": "g-fraud", "processor": "fraud", "lag": None, "topics": []},
            {
                "group": "g-orders",
                "processor": "orders",
                "lag": 9,
                "topics": [{"topic": "order-requests", "lag": 7}, {"topic": "payments", "lag": 2}],
            },
        ],
    }


def test_changelogs_and_the_orders_clock_are_not_lag() -> None:
    committed = {TP("x-shopstream-orders-ticks", 0): 1, TP("x-orders-changelog", 0): 1, TP("payments", 0): 3}
    ends = {TP("x-shopstream-orders-ticks", 0): 9, TP("x-orders-changelog", 0): 9, TP("payments", 0): 4}
    assert group_lag(committed, ends) == {
        "lag": 1,
        "partitions": [{"topic": "payments", "partition": 0, "committed": 3, "end": 4, "lag": 1}],
    }
