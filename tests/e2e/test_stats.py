"""Analytics over HTTP: orders per state and sales per minute, on a system of their own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.shop import Shop, uid
from tests.e2e.systems import PROCESSORS, start_system
from tests.helpers.processes import Running


@pytest.fixture(scope="module")
def stats_system(kafka: str, schema_registry: str) -> Iterator[dict[str, Running]]:
    """Every service, on topics no other test writes to, so every count is exact."""
    with start_system(kafka, schema_registry, PROCESSORS, "stats-") as started:
        yield started


def sales_picked(body: Any) -> Any:
    """Totals and top skus of a sales answer, comparable at once."""
    top = [(s["sku"], s["orders"], s["units"], s["revenue_cents"]) for s in body["top_skus"]]
    return body["totals"], top


sales_expected = (
    {"orders": 2, "units": 4, "revenue_cents": 1800},
    [("sku-a", 2, 3, 1500), ("sku-b", 1, 1, 300)],
)


def test_orders_per_state_and_sales_per_minute(stats_system: dict[str, Running]) -> None:
    async def body() -> None:
        async with (
            httpx.AsyncClient(base_url=stats_system["ingest-api"].url, timeout=30) as ingest,
            httpx.AsyncClient(base_url=stats_system["query-api"].url, timeout=70) as query,
        ):
            shop = Shop(ingest, query)
            customer, a, b = (
                await shop.customer(),
                await shop.stock(100, "sku-a"),
                await shop.stock(1, "sku-b"),
            )
            paid = await shop.order(customer, (a, 2, 500), (b, 1, 300))
            validated = await shop.order(customer, (a, 1, 500))
            failed = await shop.order(customer, (b, 5, 300))
            cancelled = uid("o")
            await shop.act(cancelled, "cancel")  # held until the order exists: CANCELLED, never FAILED
            await shop.order(customer, (uid("unknown"), 1, 1), order_id=cancelled)
            for order_id in (paid, validated):
                await shop.wait(order_id, "VALIDATED")
            await shop.wait(failed, "FAILED")
            await shop.wait(cancelled, "CANCELLED")
            await shop.pay(paid, 1300)
            await shop.wait(paid, "PAID")
            counts = {"CREATED": 0, "VALIDATED": 1, "FAILED": 1, "PAID": 1, "SHIPPED": 0, "CANCELLED": 1}
            stats = await shop.eventually("/v1/stats/orders", counts, lambda b: b["counts"])
            assert stats["total"] == 4
            # units, revenue and top skus come from analytics' windows, a hop behind the order count
            await shop.eventually("/v1/stats/sales?minutes=5", sales_expected, sales_picked)
            assert (await query.get("/v1/stats/sales?minutes=0")).status_code == 422

    asyncio.run(body())
