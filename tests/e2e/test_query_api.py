"""query-api routes of SPEC §4: customers, their orders page by page, 404s and 422s."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.e2e.shop import Shop, uid


async def test_customer_as_last_set_with_put_defaults(shop: Shop) -> None:
    customer = await shop.customer()
    picked = (customer, "BRONZE", False)
    await shop.eventually(
        f"/v1/customers/{customer}", picked, lambda b: (b["customer_id"], b["tier"], b["blocked"])
    )


async def test_customer_orders_newest_first_page_by_page(shop: Shop, query: httpx.AsyncClient) -> None:
    customer, sku = await shop.customer(), await shop.stock(50)
    placed = [await shop.order(customer, (sku, 1, 100)) for _ in range(5)]
    for order_id in placed:
        await shop.wait(order_id, "CREATED,VALIDATED,FAILED")
    seen: list[str] = []
    cursor = None
    for expected_size in (2, 2, 1):
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await query.get(f"/v1/customers/{customer}/orders", params=params)
        assert r.status_code == 200
        body = r.json()
        assert len(body["orders"]) == expected_size
        seen += [o["order_id"] for o in body["orders"]]
        cursor = body["next_cursor"]
    assert cursor is None
    assert seen == placed[::-1]


@pytest.mark.parametrize(
    "path",
    ["/v1/customers/{x}", "/v1/customers/{x}/orders", "/v1/customers/{x}/notifications", "/v1/inventory/{x}"],
)
async def test_unknown_things_are_404(query: httpx.AsyncClient, path: str) -> None:
    assert (await query.get(path.format(x=uid("nobody")))).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/v1/orders/o-1?wait_for=BOGUS",
        "/v1/orders/o-1?wait_for=CREATED&timeout_ms=60001",
        "/v1/orders/o-1?wait_for=CREATED&timeout_ms=-1",
        "/v1/orders/bad%20id",
        "/v1/customers/c-1/orders?limit=0",
        "/v1/customers/c-1/orders?limit=101",
        "/v1/customers/c-1/orders?cursor=%25%25%25",
        "/v1/customers/c-1/notifications?limit=0",
        "/v1/stats/sales?minutes=0",
        "/v1/stats/sales?minutes=abc",
    ],
)
async def test_bad_parameters_are_422(query: httpx.AsyncClient, path: str) -> None:
    r = await query.get(path)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


async def test_stream_sends_order_changes_and_stats(shop: Shop, query: httpx.AsyncClient) -> None:
    customer, sku = await shop.customer(), await shop.stock(5)
    events: dict[str, list[dict[str, object]]] = {"order": [], "stats": []}
    async with query.stream("GET", "/v1/stream", params={"stats_every_ms": 500}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        order_id = await shop.order(customer, (sku, 1, 100))
        event = None
        async with asyncio.timeout(30):
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event in events:
                    events[event].append(json.loads(line.removeprefix("data: ")))
                    mine = [e for e in events["order"] if e["order_id"] == order_id]
                    if {e["state"] for e in mine} >= {"CREATED", "VALIDATED"} and events["stats"]:
                        break
    assert [e["version"] for e in events["order"] if e["order_id"] == order_id] == [1, 2]
    assert set(events["stats"][0]) == {"orders", "sales"}
