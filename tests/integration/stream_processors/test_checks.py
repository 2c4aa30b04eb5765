"""The DETAILS and FRAUD checks on a real broker: orders in, the exact validations out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
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
from tests.helpers.processes import on_own_topics

LIMIT = 200_000
MINUTE = 60_000
CROWD = 5000  # customers written just before the one that matters: the view is still reading them
Result = tuple[bool, list[str]]  # passed, reasons
Outcome = dict[str, Result]  # check → its one result
PASS: Result = (True, [])


def uid(stem: str) -> str:
    """An id no other test uses."""
    return f"{stem}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def checks(kafka: str, schema_registry: str) -> Iterator[KafkaSettings]:
    """Both check processors, on topics of their own."""
    with on_own_topics(
        ["order-details", "fraud"],
        kafka,
        schema_registry,
        FRAUD_LIMIT_CENTS=str(LIMIT),
        FRAUD_WINDOW_S="3600",
        # the catch-up behind a crowd of customers must happen; how fast is for make bench
        DETAILS_REFERENCE_WAIT_S="60",
    ) as settings:
        yield settings


@dataclass
class Shop:
    """Writes customers and new orders straight to their topics and reads the validations back."""

    settings: KafkaSettings
    serdes: Serdes
    producer: AIOKafkaProducer
    consumer: AIOKafkaConsumer
    seen: dict[str, dict[str, list[Result]]] = field(default_factory=dict)  # order_id → check → results
    checks: int = 2  # results expected per order: DETAILS and FRAUD
    sent: dict[str, bytes] = field(default_factory=dict)

    async def customer(self, customer_id: str, blocked: bool = False) -> None:
        """Set a customer (acknowledged by Kafka when this returns)."""
        record = {
            "customer_id": customer_id,
            "name": "Ann Lee",
            "email": f"{customer_id}@example.com",
            "blocked": blocked,
            "updated_at": now_ms(),
        }
        await self.send(Topics.CUSTOMERS, customer_id, record)

    async def crowd(self, count: int) -> None:
        """Write ``count`` other customers at once: a backlog the customers view has to read first."""
        topic = Topics.CUSTOMERS.full_name(self.settings.topic_prefix)
        serde = self.serdes(Topics.CUSTOMERS)
        sent = []
        for _ in range(count):
            customer_id = uid("crowd")
            record = {"customer_id": customer_id, "name": "-", "email": "-", "updated_at": now_ms()}
            sent.append(await self.producer.send(topic, serde.encode(record), key=customer_id.encode()))
        await asyncio.gather(*sent)

    async def order(self, customer_id: str, *lines: tuple[str, int], **changes: Any) -> str:
        """Write a CREATED v1 order of ``lines`` (sku, unit price, quantity 1); its order_id."""
        items = [{"sku": sku, "quantity": 1, "unit_price_cents": price} for sku, price in lines]
        record = {
            "order_id": uid("o"),
            "customer_id": customer_id,
            "currency": "EUR",
            "items": items,
            "total_cents": sum(price for _, price in lines),
            "state": "CREATED",
            "version": 1,
            "placed_at": now_ms(),
            "updated_at": now_ms(),
            **changes,
        }
        order_id = str(record["order_id"])
        self.sent[order_id] = await self.send(Topics.ORDERS, order_id, record)
        return order_id

    async def resend(self, order_id: str) -> None:
        """Write the order's last record again, byte for byte: what a redelivery looks like."""
        topic = Topics.ORDERS.full_name(self.settings.topic_prefix)
        await self.producer.send_and_wait(topic, self.sent[order_id], key=order_id.encode())

    async def send(self, spec: TopicSpec, key: str, record: dict[str, Any]) -> bytes:
        """Encode ``record`` for ``spec``'s topic, wait for the broker's acknowledgement; the bytes."""
        value = self.serdes(spec).encode(record)
        await self.producer.send_and_wait(spec.full_name(self.settings.topic_prefix), value, key=key.encode())
        return value

    async def read_until(self, done: Callable[[], bool], timeout_s: float = 60) -> None:
        """Read validations into ``seen`` until ``done()``."""
        decoder = self.serdes(Topics.ORDER_VALIDATIONS)
        async with asyncio.timeout(timeout_s):
            while not done():
                for messages in (await self.consumer.getmany(timeout_ms=500)).values():
                    for message in messages:
                        v = decoder.decode(message.value)
                        assert message.key == v["order_id"].encode()
                        results = self.seen.setdefault(v["order_id"], {}).setdefault(v["check"], [])
                        results.append((v["passed"], v["reasons"]))

    async def results(self, order_id: str, check: str, count: int) -> list[Result]:
        """The order's results of ``check`` once there are ``count``."""
        await self.read_until(lambda: len(self.seen.get(order_id, {}).get(check, [])) >= count)
        return self.seen[order_id][check]

    async def outcomes(self, *order_ids: str, timeout_s: float = 60) -> list[Outcome]:
        """The results (DETAILS and FRAUD) of ``order_ids``; fails if one is missing in time or repeated."""
        await self.read_until(
            lambda: all(len(self.seen.get(o, {})) == self.checks for o in order_ids), timeout_s
        )
        for order_id in order_ids:
            assert all(len(results) == 1 for results in self.seen[order_id].values()), self.seen[order_id]
        return [{check: results[0] for check, results in self.seen[o].items()} for o in order_ids]

    async def outcome(self, order_id: str) -> Outcome:
        """The results of one order."""
        [found] = await self.outcomes(order_id)
        return found


@asynccontextmanager
async def open_shop(kafka: KafkaSettings, registry: RegistrySettings, checks: int = 2) -> AsyncIterator[Shop]:
    """A shop on ``kafka``'s topics, reading validations from the beginning."""
    async with clients(kafka, registry, Topics.ORDER_VALIDATIONS) as (producer, consumer, serdes):
        yield Shop(kafka, serdes, producer, consumer, checks=checks)


@pytest.fixture
async def shop(checks: KafkaSettings, registry_settings: RegistrySettings) -> AsyncIterator[Shop]:
    """A shop on the check processors' topics."""
    async with open_shop(checks, registry_settings) as shop:
        yield shop


async def test_each_details_reason_and_the_fraud_limit_of_single_orders(shop: Shop) -> None:
    ann, bob, cat, dan, eve, fay = (uid(name) for name in ("ann", "bob", "cat", "dan", "eve", "fay"))
    await shop.customer(ann)
    await shop.customer(bob, blocked=True)
    await shop.customer(fay, blocked=True)
    for customer_id in (cat, dan, eve):
        await shop.customer(customer_id)
    orders = [
        await shop.order(ann, ("a", 100), ("b", 200)),
        await shop.order(uid("nobody"), ("a", 100)),
        await shop.order(bob, ("a", 100)),
        await shop.order(cat, ("b", 1), ("a", 2), ("c", 3), ("a", 4), ("b", 5), ("a", 6)),
        await shop.order(dan, ("a", 100_000_000)),
        await shop.order(eve, ("a", 100_000_000), ("b", 1)),
        await shop.order(fay, ("x", 99_999_999), ("x", 2)),
    ]
    fraud_limit = (False, ["FRAUD_LIMIT"])
    assert await shop.outcomes(*orders) == [
        {"DETAILS": PASS, "FRAUD": PASS},
        {"DETAILS": (False, ["UNKNOWN_CUSTOMER"]), "FRAUD": PASS},
        {"DETAILS": (False, ["CUSTOMER_BLOCKED"]), "FRAUD": PASS},
        {"DETAILS": (False, ["DUPLICATE_SKU:b", "DUPLICATE_SKU:a"]), "FRAUD": PASS},
        {"DETAILS": PASS, "FRAUD": fraud_limit},
        {"DETAILS": (False, ["TOTAL_TOO_LARGE"]), "FRAUD": fraud_limit},
        {
            "DETAILS": (False, ["CUSTOMER_BLOCKED", "DUPLICATE_SKU:x", "TOTAL_TOO_LARGE"]),
            "FRAUD": fraud_limit,
        },
    ]


async def test_fraud_sums_a_customers_orders_of_the_trailing_hour_by_placed_at(shop: Shop) -> None:
    ann = uid("ann")
    await shop.customer(ann)
    t = now_ms() - 2 * 60 * MINUTE
    steps = [  # placed_at, total_cents, FRAUD passed: one at a time, so they are seen in this order
        (t, 100_000, True),
        (t + MINUTE, 50_000, True),
        (t + 2 * MINUTE, 49_999, True),  # 199,999: one cent below the limit
        (t + 3 * MINUTE, 1, False),  # 200,000: at the limit, fails, and still counts
        (t + 60 * MINUTE + 1, 99_999, True),  # the first order, 60 min + 1 ms older, dropped out
        (t + 60 * MINUTE + 2, 1, False),  # 50,000 + 49,999 + 1 + 99,999 + 1 = 200,000
        (t + 60 * MINUTE, 99_999, True),  # seen after two orders placed later: they do not count
    ]
    for placed_at, total, passed in steps:
        order_id = await shop.order(ann, ("a", total), placed_at=placed_at)
        assert (await shop.outcome(order_id))["FRAUD"] == (passed, [] if passed else ["FRAUD_LIMIT"])


async def test_a_redelivered_order_gets_the_same_decisions_and_counts_once(shop: Shop) -> None:
    ann = uid("ann")
    first = await shop.order(ann, ("a", 150_000))
    assert await shop.outcome(first) == {"DETAILS": (False, ["UNKNOWN_CUSTOMER"]), "FRAUD": PASS}
    await shop.customer(ann)  # deciding again would now pass DETAILS and fail FRAUD (counted twice)
    shop.seen.pop(first)
    await shop.resend(first)
    assert await shop.outcome(first) == {"DETAILS": (False, ["UNKNOWN_CUSTOMER"]), "FRAUD": PASS}
    second = await shop.order(ann, ("b", 49_999))  # 150,000 counted once: 199,999 passes
    assert await shop.outcome(second) == {"DETAILS": PASS, "FRAUD": PASS}


async def test_only_the_first_record_of_an_order_is_checked(shop: Shop) -> None:
    ann = uid("ann")
    await shop.customer(ann)
    later = uid("o")
    for state, version in (("CREATED", 2), ("VALIDATED", 2), ("FAILED", 1)):
        await shop.order(ann, ("a", 150_000), order_id=later, state=state, version=version)
    sentinel = next(o for o in (uid("o") for _ in range(1000)) if same_partition(shop, o, later))
    await shop.order(ann, ("a", 150_000), order_id=sentinel)  # read after them: they were skipped
    assert await shop.outcome(sentinel) == {"DETAILS": PASS, "FRAUD": PASS}
    assert later not in shop.seen


def same_partition(shop: Shop, a: str, b: str) -> bool:
    """Whether order ids ``a`` and ``b`` share a partition (of orders and of order-validations)."""
    return partition_of(a, shop.settings.partitions) == partition_of(b, shop.settings.partitions)


@pytest.mark.parametrize("attempt", range(10))
async def test_a_customer_written_just_before_its_order_is_seen(shop: Shop, attempt: int) -> None:
    new, unblocked = uid("new"), uid("unblocked")
    await shop.customer(unblocked, blocked=True)
    await shop.crowd(CROWD)
    await shop.customer(new)
    first = await shop.order(new, ("a", 100))
    await shop.crowd(CROWD)
    await shop.customer(unblocked)
    second = await shop.order(unblocked, ("a", 100))
    assert await shop.outcomes(first, second) == [{"DETAILS": PASS, "FRAUD": PASS}] * 2


async def test_a_flood_of_unknown_customers_fails_each_and_still_sees_a_customer_set_midway(
    shop: Shop,
) -> None:
    """Orders failing for a reference reason share catch-ups, never skipping one an order needs."""
    strangers = [await shop.order(uid("stranger"), ("a", 100)) for _ in range(150)]
    late = uid("late")
    await shop.crowd(CROWD)
    await shop.customer(late)
    placed = await shop.order(late, ("a", 100))
    more = [await shop.order(uid("stranger"), ("a", 100)) for _ in range(150)]
    unknown = {"DETAILS": (False, ["UNKNOWN_CUSTOMER"]), "FRAUD": PASS}
    outcomes = await shop.outcomes(*strangers, placed, *more, timeout_s=120)
    assert outcomes == [unknown] * 150 + [{"DETAILS": PASS, "FRAUD": PASS}] + [unknown] * 150
