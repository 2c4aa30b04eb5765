"""SPEC §3 "a backlog is not a time-out", on a real broker: a check busy with earlier orders is late,
not lost, while a check that answers nothing still times the order out.

The burst test writes ``BURST`` orders to ``order-requests`` at once while the three checks run and
the orders processor does not; then it starts the orders processor, which creates the whole burst
in one go (in 4 to 14 s) and leaves each check a queue of thousands of orders to work through.

Measured on this 2-core machine, shared with other test runs: with the default 30 s time-out, 3,000
orders drained in 37.5 s, the slowest 30.1 s after its CREATED. With ``TIMEOUT_S`` = 5 s, 4,000 orders
drained in 13 to 36 s (3 to 7 time-outs), the slowest 10 to 28 s after its CREATED. Not 2 or 3 s:
the inventory check's answers come in batches with pauses of up to 3.8 s while it works through the
queue, and the orders processor, which sees only answers, takes such a pause for a lost check.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from infra.settings import KafkaSettings
from schemas.clock import now_ms
from schemas.partitions import partition_of
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics, TopicSpec
from tests.helpers.kafka import clients
from tests.helpers.processes import on_own_topics, own_topics, running, service

TIMEOUT_S = 5  # ORDERS_VALIDATION_TIMEOUT_S: a small fraction of the time the burst takes to drain
BURST = 4000
CUSTOMERS = 400  # 10 orders of 1.00 EUR each: 1,000 cents, 0.5% of the fraud limit of 200,000
SKUS = 160  # 25 open reservations per sku
DRAIN_TIMEOUT_S = 100
Version = dict[str, Any]  # one Order record as published on `orders`
Line = tuple[str, str, str]  # order_id, customer_id, sku of a one-line order


def uid(stem: str) -> str:
    """An id no other test uses."""
    return f"{stem}-{uuid.uuid4().hex[:10]}"


@dataclass
class Shop:
    """Writes reference data and order requests straight to their topics; reads `orders` back."""

    kafka: KafkaSettings
    serdes: Serdes
    producer: AIOKafkaProducer
    consumer: AIOKafkaConsumer
    versions: dict[str, list[Version]] = field(default_factory=dict)  # order_id → its records, in order

    async def write(self, spec: TopicSpec, records: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Send every (key, record) without waiting for each, then wait until all are acknowledged.

        No partition given: aiokafka's default partitioner (murmur2, as Kafka's Java client) picks it.
        """
        topic, serde = spec.full_name(self.kafka.topic_prefix), self.serdes(spec)
        sent = [await self.producer.send(topic, serde.encode(r), key=key.encode()) for key, r in records]
        await asyncio.gather(*sent)

    async def seed(self, customers: Sequence[str], skus: Sequence[str]) -> None:
        """Set ``customers`` and give each of ``skus`` ample stock, on their compacted topics."""
        now = now_ms()
        people = [
            (c, {"customer_id": c, "name": "Ann Lee", "email": f"{c}@example.com", "updated_at": now})
            for c in customers
        ]
        await self.write(Topics.CUSTOMERS, people)
        stock = [(s, {"sku": s, "on_hand": 1_000_000, "updated_at": now}) for s in skus]
        await self.write(Topics.INVENTORY_LEVELS, stock)

    async def place(self, lines: Sequence[Line]) -> list[str]:
        """One OrderPlaced of one 1.00 EUR line per ``lines``, placed 1 ms apart in order; their ids."""
        t0 = now_ms()
        requests = [
            {
                "order_id": order_id,
                "customer_id": customer_id,
                "currency": "EUR",
                "items": [{"sku": sku, "quantity": 1, "unit_price_cents": 100}],
                "placed_at": t0 + i,
            }
            for i, (order_id, customer_id, sku) in enumerate(lines)
        ]
        await self.write(Topics.ORDER_REQUESTS, [(str(r["order_id"]), r) for r in requests])
        return [order_id for order_id, _, _ in lines]

    async def poll(self) -> None:
        """Read what `orders` has for us now into ``versions``."""
        decoder = self.serdes(Topics.ORDERS)
        for messages in (await self.consumer.getmany(timeout_ms=500)).values():
            for message in messages:
                order = decoder.decode(message.value)
                assert message.key == order["order_id"].encode()
                self.versions.setdefault(order["order_id"], []).append(order)

    def latest(self, order_id: str) -> Version:
        """The order's latest record read so far."""
        return self.versions[order_id][-1]

    async def decided(self, order_ids: Sequence[str], timeout_s: float) -> dict[str, list[Version]]:
        """The records of each of ``order_ids`` once its latest version is no longer CREATED."""

        def pending() -> list[str]:
            return [o for o in order_ids if o not in self.versions or self.latest(o)["state"] == "CREATED"]

        try:
            async with asyncio.timeout(timeout_s):
                while pending():
                    await self.poll()
        except TimeoutError:
            states = Counter(self.versions[o][-1]["state"] for o in order_ids if o in self.versions)
            raise AssertionError(f"{len(pending())} undecided after {timeout_s}s: {dict(states)}") from None
        return {o: self.versions[o] for o in order_ids}

    async def read_to_end(self, timeout_s: float = 30) -> None:
        """Read `orders` up to its end offsets as of now: whatever was published so far is in ``versions``."""
        assigned = list(self.consumer.assignment())
        ends = await self.consumer.end_offsets(assigned)
        async with asyncio.timeout(timeout_s):
            while [tp for tp in assigned if await self.consumer.position(tp) < ends[tp]]:
                await self.poll()


@asynccontextmanager
async def open_shop(kafka: KafkaSettings, registry: RegistrySettings) -> AsyncIterator[Shop]:
    """A shop on ``kafka``'s topics, reading `orders` from the beginning."""
    async with clients(kafka, registry, Topics.ORDERS) as (producer, consumer, serdes):
        yield Shop(kafka, serdes, producer, consumer)


def summary(order: Version) -> tuple[int, str, list[str]]:
    """What the tests assert of one Order record: version, state, reasons."""
    return order["version"], order["state"], list(order["reasons"])


def repeated(shop: Shop) -> list[tuple[str, int]]:
    """Every (order_id, version) read more than once from `orders`."""
    published = Counter((o["order_id"], o["version"]) for records in shop.versions.values() for o in records)
    return [key for key, n in published.items() if n > 1]


@pytest.fixture
def checks_only(kafka: str, schema_registry: str) -> Iterator[tuple[KafkaSettings, dict[str, str]]]:
    """The three checks on topics of their own, and the environment to start more services there."""
    settings, env = own_topics("burst", kafka, schema_registry)
    with running([service(name) for name in ("order-details", "inventory", "fraud")], env, tag="burst-"):
        yield settings, env


async def test_a_burst_is_decided_by_busy_checks_and_never_timed_out(
    checks_only: tuple[KafkaSettings, dict[str, str]], registry_settings: RegistrySettings
) -> None:
    settings, env = checks_only
    stem = uid("b")
    customers, skus = [f"{stem}-c{i}" for i in range(CUSTOMERS)], [f"{stem}-s{i}" for i in range(SKUS)]
    async with open_shop(settings, registry_settings) as shop:
        await shop.seed(customers, skus)
        order_ids = await shop.place(
            [(f"{stem}-o{i}", customers[i % CUSTOMERS], skus[i % SKUS]) for i in range(BURST)]
        )
        with ExitStack() as stack:
            orders = running([service("orders")], {**env, "ORDERS_VALIDATION_TIMEOUT_S": str(TIMEOUT_S)})
            await asyncio.to_thread(stack.enter_context, orders)
            found = await shop.decided(order_ids, DRAIN_TIMEOUT_S)
            await shop.read_to_end()
            await asyncio.to_thread(stack.close)

    timed_out = [o for o, records in found.items() if records[-1]["reasons"] == ["VALIDATION_TIMEOUT"]]
    assert timed_out == [], f"{len(timed_out)} of {BURST} orders timed out, the first {timed_out[:3]}"
    assert Counter(records[-1]["state"] for records in found.values()) == {"VALIDATED": BURST}
    assert {o: [summary(r) for r in records] for o, records in found.items()} == {
        o: [(1, "CREATED", []), (2, "VALIDATED", [])] for o in order_ids
    }
    assert repeated(shop) == []
    # the premise, lest the test pass without a backlog: orders waited longer than a time-out, unharmed
    longest = max(records[1]["updated_at"] - records[0]["updated_at"] for records in found.values())
    assert longest > TIMEOUT_S * 1000, f"the burst drained too fast to test a backlog: {longest} ms"


@pytest.fixture
def without_fraud(kafka: str, schema_registry: str) -> Iterator[KafkaSettings]:
    """The orders processor with the DETAILS and INVENTORY checks, and no FRAUD check at all."""
    with on_own_topics(
        ["orders", "order-details", "inventory"],
        kafka,
        schema_registry,
        ORDERS_VALIDATION_TIMEOUT_S=str(TIMEOUT_S),
    ) as settings:
        yield settings


async def test_an_order_a_check_never_answers_times_out_once(
    without_fraud: KafkaSettings, registry_settings: RegistrySettings
) -> None:
    settings = without_fraud
    customer, sku, lost = uid("c"), uid("s"), uid("o")
    # sentinel: placed after the lost order's time-out on its partition, so its own FAILED comes after
    # at least one more time-out's worth of ticks there, in which no repeat of the first one appeared
    sentinel = next(o for o in (uid("o") for _ in range(1000)) if same_partition(o, lost, settings))
    async with open_shop(settings, registry_settings) as shop:
        await shop.seed([customer], [sku])
        await shop.place([(lost, customer, sku)])
        await shop.decided([lost], 60)
        await shop.place([(sentinel, customer, sku)])
        await shop.decided([sentinel], 60)
        await shop.read_to_end()

    timed_out = [(1, "CREATED", []), (2, "FAILED", ["VALIDATION_TIMEOUT"])]
    assert {o: [summary(r) for r in records] for o, records in shop.versions.items()} == {
        lost: timed_out,  # version 2 published once, and nothing after it
        sentinel: timed_out,
    }


def same_partition(a: str, b: str, kafka: KafkaSettings) -> bool:
    """Whether order ids ``a`` and ``b`` share a partition of `order-requests` and `orders`."""
    return partition_of(a, kafka.partitions) == partition_of(b, kafka.partitions)
