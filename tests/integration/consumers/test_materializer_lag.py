"""query-api's lag per partition on a real broker: kept up to date after the read models caught up.

The materializer reads its own order-counts topic. Three records are applied (lag 0 everywhere);
then three more are written to partition 0 in one produce batch (they appear in the log at once),
and the projection fails on the first of them every time: the run fails and is run again, so the
batch stays unapplied, and partition 0's ``shopstream_consumer_lag_records`` must say 3.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY

from consumers.query_api.materializer import SERVICE, Materializer
from consumers.query_api.supervisor import Supervisor
from infra.settings import KafkaSettings
from schemas.topics import Topics
from tests.integration.consumers.conftest import Counts

POISON = 4  # the count the projection always fails on


class FailsAt:
    """Applies order counts, except ``POISON``, which raises every time."""

    topic = Topics.ORDER_COUNTS

    def __init__(self) -> None:
        self.applied: list[int] = []
        self.three = asyncio.Event()

    def apply(self, key: str | None, record: dict[str, Any], headers: Any = ()) -> None:
        if record["count"] == POISON:
            raise ValueError("projection bug")
        self.applied.append(int(record["count"]))
        if len(self.applied) == 3:
            self.three.set()


async def until(condition: Callable[[], bool], timeout_s: float = 30) -> None:
    """Return once ``condition`` holds; fail after ``timeout_s``."""
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    pytest.fail("condition never held")


def lag(topic: str, partition: int) -> float | None:
    labels = {"service": SERVICE, "topic": topic, "partition": str(partition)}
    return REGISTRY.get_sample_value("shopstream_consumer_lag_records", labels)


async def test_lag_stays_current_after_catching_up(kafka_settings: KafkaSettings, counts: Counts) -> None:
    projection = FailsAt()
    materializer = Materializer(kafka_settings, counts.serdes, [projection])
    supervisor = Supervisor("materializer", materializer.run, first_s=0.05, cap_s=0.2)
    try:
        await counts.send((1, 2, 3))
        supervisor.start()
        await asyncio.wait_for(projection.three.wait(), timeout=30)
        await until(lambda: materializer.caught_up)
        partitions = range(kafka_settings.partitions)
        assert [lag(counts.topic, p) for p in partitions] == [0.0] * len(partitions)

        batch = counts.producer.create_batch()
        for n in (POISON, 5, 6):
            batch.append(key=b"CREATED", value=counts.value(n), timestamp=None)
        await (await counts.producer.send_batch(batch, counts.topic, partition=0))
        await until(lambda: bool(lag(counts.topic, 0)))  # the batch was fetched (it fails to apply)
        assert [lag(counts.topic, p) for p in partitions] == [3.0] + [0.0] * (len(partitions) - 1)
        assert projection.applied == [1, 2, 3]
    finally:
        await supervisor.stop()
