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


async def eventually(query: httpx.AsyncClient, path: str, expected: Any, pick: Any) -> Any:
    """GET ``path`` until ``pick(body) == expected`` (20 s), returning the body."""
    body: Any = None
    try:
        async with asyncio.timeout(20):
            while True:
                body = (await query.get(path)).json()
                if pick(body) == expected:
                    return body
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"{path}: wanted {expected}, last {pick(body) if body else body}") from None


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
            stats = await eventually(query, "/v1/stats/orders", counts, lambda b: b["counts"])
            assert stats["total"] == 4
            sales = await eventually(query, "/v1/stats/sales?minutes=5", 2, lambda b: b["totals"]["orders"])
            assert sales["totals"] == {"orders": 2, "units": 4, "revenue_cents": 1800}
            assert [(s["sku"], s["orders"], s["units"], s["revenue_cents"]) for s in sales["top_skus"]] == [
                ("sku-a", 2, 3, 1500),
                ("sku-b", 1, 1, 300),
            ]
            assert (await query.get("/v1/stats/sales?minutes=0")).status_code == 422

    asyncio.run(body())
