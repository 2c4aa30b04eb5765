"""Reading what services wrote to Kafka, for tests that check records on the wire."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer


async def read_records(
    servers: Sequence[str], topics: Sequence[str], count: int, timeout_s: float = 30
) -> list[Any]:
    """The first ``count`` records found on ``topics`` from the beginning (fails after ``timeout_s``)."""
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=list(servers), auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    found: list[Any] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(found) < count:
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    found.extend(messages)
    finally:
        await consumer.stop()
    return found
