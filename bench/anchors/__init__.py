"""Anchors of the processing figure: the same one-hop validation step outside Faust.

Both anchors read ``OrderPlaced`` records from an order-requests topic, decode them with our serde,
apply a trivial check (the order's total within the DETAILS limit), encode an ``OrderValidation`` and
produce it to an order-validations topic, keyed by order_id. They share the helpers below: fresh
topics on a prefix of their own, a backlog written once and then read by a new consumer group per run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer

from infra.settings import KafkaSettings
from infra.topics import ensure_topics
from schemas.serde import AvroSerde
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics

MAX_TOTAL_CENTS = 100_000_000  # the DETAILS check's limit (stream_processors/order_details/rules.py)


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds, as records carry it."""
    return time.time_ns() // 1_000_000


def order_placed(order_id: str, customer_id: str, skus: Sequence[str], placed_at: int) -> dict[str, Any]:
    """An OrderPlaced that passes every check: one unit of 100 cents per (distinct) sku."""
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "currency": "EUR",
        "items": [{"sku": sku, "quantity": 1, "unit_price_cents": 100} for sku in skus],
        "placed_at": placed_at,
    }


def check(order: dict[str, Any], checked_at: int) -> dict[str, Any]:
    """The anchors' trivial rule: an OrderValidation saying whether the total is within the limit."""
    total = sum(line["quantity"] * line["unit_price_cents"] for line in order["items"])
    passed = total <= MAX_TOTAL_CENTS
    return {
        "order_id": order["order_id"],
        "check": "DETAILS",
        "passed": passed,
        "reasons": [] if passed else ["TOTAL_TOO_LARGE"],
        "checked_at": checked_at,
    }


class AnchorTopics:
    """Fresh order-requests and order-validations topics, and the serdes of both."""

    def __init__(self, bootstrap: str, registry_url: str) -> None:
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}."
        self.kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=self.prefix)
        self.registry = RegistrySettings(registry_url=registry_url)
        self.source = Topics.ORDER_REQUESTS.full_name(self.prefix)
        self.sink = Topics.ORDER_VALIDATIONS.full_name(self.prefix)

    def serdes(self) -> tuple[Serdes, AvroSerde, AvroSerde]:
        """Serdes (to close), the OrderPlaced serde and the OrderValidation serde, both prepared."""
        serdes = Serdes(self.kafka, self.registry)
        placed, validation = serdes(Topics.ORDER_REQUESTS), serdes(Topics.ORDER_VALIDATIONS)
        placed.prepare()
        validation.prepare()
        return serdes, placed, validation

    async def create(self) -> None:
        """Create both topics (the deployment's default partitions)."""
        await ensure_topics(self.kafka, [Topics.ORDER_REQUESTS, Topics.ORDER_VALIDATIONS])

    async def preload(self, records: int, headers: Sequence[tuple[str, bytes]] = ()) -> None:
        """Write ``records`` OrderPlaced records to the source topic, keyed by order_id, with ``headers``."""
        producer = AIOKafkaProducer(**self.kafka.producer_options())
        await producer.start()
        try:
            await self.write_backlog(producer, records, headers)
        finally:
            await producer.stop()

    async def write_backlog(
        self, producer: AIOKafkaProducer, records: int, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        """The backlog of :meth:`preload`, sent with ``producer`` (a transactional one, say) and acked."""
        serdes, placed, _ = self.serdes()
        try:
            t0 = now_ms()
            futures = []
            for i in range(records):
                order_id = f"a-{i}"
                value = placed.encode(order_placed(order_id, f"c-{i % 1000}", ["s-1", "s-2", "s-3"], t0))
                sent = await producer.send(self.source, value, key=order_id.encode(), headers=list(headers))
                futures.append(sent)
            await asyncio.gather(*futures)
        finally:
            serdes.close()
