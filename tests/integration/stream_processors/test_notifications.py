"""The notifications processor on a real broker: exact e-mails from order versions and rejections."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from infra.settings import KafkaSettings
from schemas.partitions import partition_of
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics, TopicSpec
from tests.helpers.kafka import read_records, read_to_end
from tests.helpers.processes import on_own_topics

T0 = 1_795_867_200_000  # 2026-11-28T12:00:00Z


@pytest.fixture(scope="module")
def worker(kafka: str, schema_registry: str) -> Iterator[KafkaSettings]:
    """The notifications processor, alone, on topics of its own."""
    with on_own_topics(["notifications"], kafka, schema_registry) as settings:
        yield settings


class Shop:
    """Writes records straight to the processor's input topics, as their owners would.

    ``async with`` starts it, and stops its producer and closes its registry client after.
    """

    def __init__(self, kafka: KafkaSettings, registry: RegistrySettings) -> None:
        self.kafka = kafka
        self.serdes = Serdes(kafka, registry)
        self.producer = AIOKafkaProducer(**kafka.producer_options())

    async def __aenter__(self) -> Shop:
        try:
            await self.producer.start()
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop the producer and close the registry client."""
        with self.serdes:
            await self.producer.stop()

    async def put(self, spec: TopicSpec, key: str, record: dict[str, Any]) -> None:
        """Write ``record`` under ``key`` and wait for the acknowledgement."""
        value = self.serdes(spec).encode(record)
        await self.producer.send_and_wait(spec.full_name(self.kafka.topic_prefix), value, key=key.encode())

    async def customer(self, customer_id: str, email: str) -> None:
        """Set a customer, as ingest-api would on PUT."""
        record = {"customer_id": customer_id, "name": "Ann Lee", "email": email, "updated_at": T0}
        await self.put(Topics.CUSTOMERS, customer_id, record)


@pytest.fixture
async def shop(worker: KafkaSettings, registry_settings: RegistrySettings) -> AsyncIterator[Shop]:
    """A started :class:`Shop`, stopped (its producer and registry client) after the test."""
    async with Shop(worker, registry_settings) as shop:
        yield shop


def order(order_id: str, customer_id: str, n: int, state: str, paid_cents: int = 0) -> dict[str, Any]:
    """Version ``n`` of an order of 25.00 EUR, updated at T0 + n seconds."""
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "currency": "EUR",
        "items": [{"sku": "sku-1", "quantity": 2, "unit_price_cents": 1250}],
        "total_cents": 2500,
        "paid_cents": paid_cents,
        "state": state,
        "reasons": [],
        "version": n,
        "placed_at": T0,
        "updated_at": T0 + n * 1000,
    }


def rejection(order_id: str, customer_id: str, rejection_id: str) -> dict[str, Any]:
    """A refused CANCEL of a shipped order."""
    return {
        "rejection_id": rejection_id,
        "order_id": order_id,
        "customer_id": customer_id,
        "request": "CANCEL",
        "reason": "CANCEL_NOT_ALLOWED_IN_SHIPPED",
        "state": "SHIPPED",
        "rejected_at": T0 + 9000,
    }


def expected(n: int, order_id: str, customer_id: str, email: str, kind: str, text: str) -> dict[str, Any]:
    """The notification of version ``n`` of an order written by :func:`order`."""
    return {
        "notification_id": f"{order_id}:{n}:{kind}",
        "customer_id": customer_id,
        "email": email,
        "order_id": order_id,
        "kind": kind,
        "text": text,
        "created_at": T0 + n * 1000,
    }


async def notifications_of(shop: Shop, order_id: str, count: int, timeout_s: float = 60) -> list[Any]:
    """The first ``count`` notifications about ``order_id``, as (key, record), in topic order."""
    serde = shop.serdes(Topics.NOTIFICATIONS)
    topic = Topics.NOTIFICATIONS.full_name(shop.kafka.topic_prefix)
    found = await read_records(
        shop.kafka.servers,
        [topic],
        count,
        timeout_s,
        where=lambda m: serde.decode(m.value)["order_id"] == order_id,
    )
    return [(m.key.decode(), serde.decode(m.value)) for m in found]


async def every_notification(shop: Shop) -> list[dict[str, Any]]:
    """Every notification on the topic now (read up to its end offsets)."""
    serde = shop.serdes(Topics.NOTIFICATIONS)
    topic = Topics.NOTIFICATIONS.full_name(shop.kafka.topic_prefix)
    return [serde.decode(m.value) for m in await read_to_end(shop.kafka.servers, [topic])]


def unique(stem: str, like: str | None = None, partitions: int = 0) -> str:
    """An id no other test uses; with ``like``, one Kafka puts on the same partition as ``like``."""
    while True:
        candidate = f"{stem}-{uuid.uuid4().hex[:8]}"
        if like is None or partition_of(candidate, partitions) == partition_of(like, partitions):
            return candidate


async def test_an_order_s_life_and_its_rejections_become_exact_notifications(shop: Shop) -> None:
    customer_id, order_id = unique("c"), unique("o")
    await shop.customer(customer_id, "ann@example.com")
    v1, v2 = order(order_id, customer_id, 1, "CREATED"), order(order_id, customer_id, 2, "VALIDATED")
    v3, v4 = order(order_id, customer_id, 3, "PAID", 2500), order(order_id, customer_id, 4, "SHIPPED", 2500)
    for version in (v1, v2, v3, v2, v3, v4):  # v2 and v3 redelivered, as after a crash
        await shop.put(Topics.ORDERS, order_id, version)
    for rejection_id in ("a-1", "a-1", "a-2"):  # a repeat of a-1, then another refusal
        await shop.put(Topics.ORDER_REJECTIONS, order_id, rejection(order_id, customer_id, rejection_id))

    found = await notifications_of(shop, order_id, 5)

    assert {key for key, _ in found} == {customer_id}
    about_versions = [r for _, r in found if r["kind"] != "ACTION_REJECTED"]
    who = (order_id, customer_id, "ann@example.com")
    assert about_versions == [
        expected(2, *who, "ORDER_CONFIRMED", f"Your order {order_id} is confirmed. Total: 25.00 EUR."),
        expected(
            3,
            *who,
            "PAYMENT_RECEIVED",
            f"We received 25.00 EUR for your order {order_id}: 25.00 EUR of 25.00 EUR paid. "
            "Your order is paid in full.",
        ),
        expected(4, *who, "ORDER_SHIPPED", f"Your order {order_id} has shipped."),
    ]
    text = f"Your request to cancel for order {order_id} was refused: CANCEL_NOT_ALLOWED_IN_SHIPPED "
    text += "(the order is SHIPPED)."
    assert [r for _, r in found if r["kind"] == "ACTION_REJECTED"] == [
        {
            "notification_id": f"{order_id}:rejected:{rejection_id}",
            "customer_id": customer_id,
            "email": "ann@example.com",
            "order_id": order_id,
            "kind": "ACTION_REJECTED",
            "text": text,
            "created_at": T0 + 9000,
        }
        for rejection_id in ("a-1", "a-2")
    ]


async def test_a_changed_e_mail_addresses_the_later_notifications(shop: Shop) -> None:
    customer_id, order_id = unique("c"), unique("o")
    await shop.customer(customer_id, "old@example.com")
    for n, state in ((1, "CREATED"), (2, "VALIDATED")):
        await shop.put(Topics.ORDERS, order_id, order(order_id, customer_id, n, state))
    await notifications_of(shop, order_id, 1)
    await shop.customer(customer_id, "new@example.com")
    # sync point: a customer written after the change, on its partition, addressed by the processor
    # means its customers view has read the change (a partition is read in order)
    probe = unique("probe", like=customer_id, partitions=shop.kafka.partitions)
    await shop.customer(probe, "probe@example.com")
    probe_order = unique("o")
    await shop.put(Topics.ORDERS, probe_order, order(probe_order, probe, 2, "VALIDATED"))
    assert [r["email"] for _, r in await notifications_of(shop, probe_order, 1)] == ["probe@example.com"]

    await shop.put(Topics.ORDERS, order_id, order(order_id, customer_id, 3, "CANCELLED"))

    found = [record for _, record in await notifications_of(shop, order_id, 2)]
    assert [(r["notification_id"], r["email"]) for r in found] == [
        (f"{order_id}:2:ORDER_CONFIRMED", "old@example.com"),
        (f"{order_id}:3:ORDER_CANCELLED", "new@example.com"),
    ]
    cancelled = f"Your order {order_id} has been cancelled."
    assert found[1] == expected(3, order_id, customer_id, "new@example.com", "ORDER_CANCELLED", cancelled)


async def test_an_unknown_customer_gets_nothing_until_known(shop: Shop) -> None:
    ghost, order_id = unique("ghost"), unique("o")
    for n, state in ((1, "CREATED"), (2, "VALIDATED")):
        await shop.put(Topics.ORDERS, order_id, order(order_id, ghost, n, state))
    # sync point: an order after it on its partition, notified, means version 2 was handled
    known, marker = unique("c"), unique("o", like=order_id, partitions=shop.kafka.partitions)
    await shop.customer(known, "known@example.com")
    await shop.put(Topics.ORDERS, marker, order(marker, known, 2, "VALIDATED"))
    await notifications_of(shop, marker, 1)

    assert [r for r in await every_notification(shop) if r["order_id"] == order_id] == []

    await shop.customer(ghost, "late@example.com")
    await shop.put(Topics.ORDERS, order_id, order(order_id, ghost, 3, "CANCELLED"))
    found = [record for _, record in await notifications_of(shop, order_id, 1)]
    assert [(r["notification_id"], r["email"]) for r in found] == [
        (f"{order_id}:3:ORDER_CANCELLED", "late@example.com")
    ]
    assert [r["order_id"] for r in await every_notification(shop)].count(order_id) == 1
