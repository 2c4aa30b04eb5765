"""Crashes, restarts, time-outs and several workers: each on a system of its own."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infra.settings import KafkaSettings
from schemas.settings import RegistrySettings
from tests.e2e.shop import Shop, uid
from tests.e2e.systems import PROCESSORS, start_system
from tests.helpers.kafka import StockViews
from tests.helpers.processes import Running


async def drive(started: dict[str, Running], body: Any) -> Any:
    """Run ``body(shop)`` against the system's HTTP services."""
    async with (
        httpx.AsyncClient(base_url=started["ingest-api"].url, timeout=30) as ingest,
        httpx.AsyncClient(base_url=started["query-api"].url, timeout=70) as query,
    ):
        return await body(Shop(ingest, query))


@pytest.fixture
def without_fraud(kafka: str, schema_registry: str) -> Iterator[dict[str, Running]]:
    """Every processor but fraud, with a 3 s validation time-out."""
    services = [s for s in PROCESSORS if s.name != "fraud"]
    with start_system(kafka, schema_registry, services, "res-", ORDERS_VALIDATION_TIMEOUT_S="3") as started:
        yield started


def test_validation_time_out_with_one_validator_stopped(
    without_fraud: dict[str, Running], schema_registry: str
) -> None:
    env = without_fraud["ingest-api"].env
    kafka = KafkaSettings(
        bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"], topic_prefix=env["KAFKA_TOPIC_PREFIX"]
    )

    async def body(shop: Shop) -> None:
        async with StockViews(kafka, RegistrySettings(registry_url=schema_registry)) as views:
            customer, sku = await shop.customer(), await shop.stock(5)
            order_id = await shop.order(customer, (sku, 2, 100))
            failed = await shop.wait(order_id, "FAILED,VALIDATED", timeout_ms=20_000)
            assert (failed["state"], failed["reasons"], failed["version"]) == (
                "FAILED",
                ["VALIDATION_TIMEOUT"],
                2,
            )
            # reserved while the order waited for fraud, released when it failed; the first view
            # (5, 0) is skipped when the reservation caught up with the stock level itself
            seen = await views.until(sku, lambda s: (5, 2) in s and s[-1] == (5, 0))
            assert seen in ([(5, 0), (5, 2), (5, 0)], [(5, 2), (5, 0)])
            await shop.inventory_becomes(sku, {"on_hand": 5, "reserved": 0, "available": 5})

    asyncio.run(drive(without_fraud, body))


@pytest.fixture
def everything(kafka: str, schema_registry: str) -> Iterator[dict[str, Running]]:
    """Every service, on its own topics; no validation time-out while workers restart."""
    # this test is about crash recovery: a restarted worker gets partitions only after the killed
    # member's session expires, and six booting at once on 2 cores may take longer than 30 s
    with start_system(
        kafka, schema_registry, PROCESSORS, "res-", ORDERS_VALIDATION_TIMEOUT_S="600"
    ) as started:
        yield started


async def place_stream(
    shop: Shop, count: int, skus: list[str], bad_sku: str
) -> dict[str, tuple[str, int, str]]:
    """Place ``count`` orders over a few seconds: every 5th on an unknown sku; returns expectations."""
    expected: dict[str, tuple[str, int, str]] = {}
    customers = [await shop.customer() for _ in range(10)]
    for i in range(count):
        sku = bad_sku if i % 5 == 4 else skus[i % len(skus)]
        quantity = 1 + i % 3
        order_id = await shop.order(customers[i % len(customers)], (sku, quantity, 100))
        expected[order_id] = (sku, quantity, "FAILED" if sku == bad_sku else "VALIDATED")
        await asyncio.sleep(0.05)
    return expected


async def check_final(shop: Shop, expected: dict[str, tuple[str, int, str]], skus: list[str]) -> None:
    """Every order in its expected state at version 2, and reserved = Σ quantities still held."""
    for order_id, (_, _, state) in expected.items():
        view = await shop.wait(order_id, "VALIDATED,FAILED", timeout_ms=60_000)
        assert (view["state"], view["version"]) == (state, 2), (
            f"{order_id}: {view['state']} {view['reasons']}"
        )
    for sku in skus:
        held = sum(q for s, q, state in expected.values() if s == sku and state == "VALIDATED")
        await shop.inventory_becomes(sku, {"on_hand": 1000, "reserved": held, "available": 1000 - held}, 60)


def test_kill_9_each_processor_in_turn_while_orders_flow(everything: dict[str, Running]) -> None:
    async def body(shop: Shop) -> None:
        skus = [await shop.stock(1000) for _ in range(4)]
        flow = asyncio.create_task(place_stream(shop, 120, skus, uid("unknown")))
        for processor in PROCESSORS:
            await asyncio.sleep(1.0)
            everything[processor.name].kill()
            await asyncio.sleep(0.5)
            everything[processor.name].restart()
        expected = await flow
        await check_final(shop, expected, skus)

    asyncio.run(drive(everything, body))


@pytest.fixture
def two_workers(kafka: str, schema_registry: str) -> Iterator[dict[str, Running]]:
    """Every processor, with two workers each of orders and inventory."""
    doubles = [
        dataclasses.replace(s, name=f"{s.name}-2") for s in PROCESSORS if s.name in {"orders", "inventory"}
    ]
    with start_system(kafka, schema_registry, [*PROCESSORS, *doubles], "res-") as started:
        yield started


def test_two_workers_of_orders_and_inventory_give_the_same_results(two_workers: dict[str, Running]) -> None:
    async def body(shop: Shop) -> None:
        skus = [await shop.stock(1000) for _ in range(4)]
        expected = await place_stream(shop, 60, skus, uid("unknown"))
        await check_final(shop, expected, skus)
        scarce = await shop.stock(1)
        customer = await shop.customer()
        split = await shop.wait(await shop.order(customer, (skus[0], 5, 100), (scarce, 2, 100)))
        assert (split["state"], split["reasons"]) == ("FAILED", [f"OUT_OF_STOCK:{scarce}"])
        await shop.inventory_becomes(scarce, {"reserved": 0, "available": 1})

    asyncio.run(drive(two_workers, body))
