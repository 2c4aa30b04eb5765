"""A materializer run that fails is run again by its supervisor, from where it stopped on a real broker.

Records already applied in an earlier batch are not read again (no replay from the beginning);
the batch that failed is applied again from its start, which projections take (they are idempotent).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from consumers.query_api.materializer import Materializer
from consumers.query_api.projections.base import Headers
from consumers.query_api.supervisor import Supervisor
from infra.settings import KafkaSettings
from schemas.topics import Topics
from tests.integration.consumers.conftest import Counts


class FailsOnceAt:
    """Records each ``count`` it applies (``seen[count]`` is set); ``fail_at`` fails the first time."""

    topic = Topics.ORDER_COUNTS

    def __init__(self, fail_at: int) -> None:
        self.fail_at = fail_at
        self.failed = False
        self.applied: list[int] = []
        self.seen: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)

    def apply(self, key: str | None, record: dict[str, Any], headers: Headers = ()) -> None:
        if record["count"] == self.fail_at and not self.failed:
            self.failed = True
            raise ValueError(f"projection bug at {self.fail_at}")
        self.applied.append(int(record["count"]))
        self.seen[int(record["count"])].set()


async def test_failed_run_goes_on_from_where_it_stopped(
    kafka_settings: KafkaSettings, counts: Counts
) -> None:
    projection = FailsOnceAt(fail_at=5)
    materializer = Materializer(kafka_settings, counts.serdes, [projection])
    supervisor = Supervisor("materializer", materializer.run)
    try:
        await counts.send(range(1, 4))
        supervisor.start()
        await asyncio.wait_for(projection.seen[3].wait(), timeout=30)
        assert projection.applied == [1, 2, 3]

        await counts.send(range(4, 7))
        await asyncio.wait_for(projection.seen[6].wait(), timeout=30)
        # 4 is applied again when it came in the same batch as 5; 1..3 never are
        assert projection.applied in ([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 4, 5, 6])
        assert (supervisor.restarts, supervisor.failure) == (1, None)
    finally:
        await supervisor.stop()
