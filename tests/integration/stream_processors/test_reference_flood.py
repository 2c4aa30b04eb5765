"""A flood of orders for unknown customers does not hold up a known customer's notification.

Every ORDER_FAILED of a stranger needs the customers read up to their end before the processor may
give up on its address (SPEC §3 "reference data first"). The batch runtime sets such records aside
and serves all of a batch's with one catch-up; before it, each record paid a catch-up of its own,
and the known customer's e-mail waited behind a thousand round trips to the broker. The proof is
counted, not timed: the processor's own count of catch-ups of the customers topic.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from infra.settings import KafkaSettings
from schemas.settings import RegistrySettings
from schemas.topics import Topics
from tests.helpers.processes import Running, own_topics, running, service
from tests.integration.stream_processors.test_notifications import (
    Shop,
    every_notification,
    expected,
    notifications_of,
    order,
    unique,
)

FLOOD = 1000
CATCH_UPS = "shopstream_reference_catch_ups_total"
UNADDRESSABLE = "shopstream_notifications_unaddressable_total"


@pytest.fixture
def worker(kafka: str, schema_registry: str) -> Iterator[tuple[KafkaSettings, Running]]:
    """The notifications processor alone, on topics of its own, and its process (for /metrics)."""
    settings, env = own_topics("flood", kafka, schema_registry)
    with running([service("notifications")], env, tag="flood-") as started:
        yield settings, started["notifications"]


@pytest.fixture
async def shop(
    worker: tuple[KafkaSettings, Running], registry_settings: RegistrySettings
) -> AsyncIterator[Shop]:
    """A started shop on the worker's topics, stopped after the test."""
    async with Shop(worker[0], registry_settings) as shop:
        yield shop


async def counter(web: httpx.AsyncClient, name: str, labels: Mapping[str, str]) -> float:
    """The value of counter ``name`` with ``labels`` on the worker's /metrics page (0 if absent)."""
    text = (await web.get("/metrics")).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


async def counter_reaching(
    web: httpx.AsyncClient, name: str, labels: Mapping[str, str], target: float, timeout_s: float = 60
) -> float:
    """The counter's value once it has reached ``target``; fails if it has not within ``timeout_s``."""
    async with asyncio.timeout(timeout_s):
        while True:
            value = await counter(web, name, labels)
            if value >= target:
                return value
            await asyncio.sleep(0.2)


async def write_all(shop: Shop, records: list[dict[str, Any]]) -> None:
    """Send every Order record at once, keyed by order_id, and wait until all are acknowledged."""
    topic, serde = Topics.ORDERS.full_name(shop.kafka.topic_prefix), shop.serdes(Topics.ORDERS)
    sent = [await shop.producer.send(topic, serde.encode(r), key=r["order_id"].encode()) for r in records]
    await asyncio.gather(*sent)


async def test_a_flood_of_unknown_customers_shares_catch_ups_and_the_known_customer_is_notified(
    worker: tuple[KafkaSettings, Running], shop: Shop
) -> None:
    settings, process = worker
    customers_topic = Topics.CUSTOMERS.full_name(settings.topic_prefix)
    catch_ups = {"service": "notifications", "topic": customers_topic}
    unaddressable = {"service": "notifications", "kind": "ORDER_FAILED"}
    known, known_order = unique("known"), unique("o")
    await shop.customer(known, "known@example.com")
    flood = []
    for _ in range(FLOOD):  # what the orders processor publishes for an order of an unknown customer
        stranger, order_id = unique("stranger"), unique("o")
        failed = {**order(order_id, stranger, 2, "FAILED"), "reasons": ["UNKNOWN_CUSTOMER"]}
        flood += [order(order_id, stranger, 1, "CREATED"), failed]

    async with httpx.AsyncClient(base_url=process.url, timeout=10) as web:
        catch_ups_before = await counter(web, CATCH_UPS, catch_ups)
        unaddressable_before = await counter(web, UNADDRESSABLE, unaddressable)
        await write_all(shop, flood)
        confirmed_order = [order(known_order, known, 1, "CREATED"), order(known_order, known, 2, "VALIDATED")]
        await write_all(shop, confirmed_order)

        found = await notifications_of(shop, known_order, 1)
        # every stranger's ORDER_FAILED decided (not sent: no address), so nothing of the flood is pending
        given_up = await counter_reaching(web, UNADDRESSABLE, unaddressable, unaddressable_before + FLOOD)
        caught_up = await counter(web, CATCH_UPS, catch_ups) - catch_ups_before
    assert given_up == unaddressable_before + FLOOD

    confirmed = f"Your order {known_order} is confirmed. Total: 25.00 EUR."
    notification = expected(2, known_order, known, "known@example.com", "ORDER_CONFIRMED", confirmed)
    assert found == [(known, notification)]
    assert await every_notification(shop) == [notification]  # none for any stranger
    # At most one catch-up per batch of the runtime (none for a record written before a catch-up that
    # already finished began), where each of the FLOOD records once paid its own; at least one: the
    # strangers were looked for before being given up on.
    assert 1 <= caught_up < FLOOD // 10, caught_up
