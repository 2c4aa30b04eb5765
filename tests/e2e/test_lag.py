"""``GET /v1/stats/lag`` on the running system: each processor's group, its topics, and a total that
drains to 0 once a burst of orders is decided and the processors have committed."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.e2e.shop import Shop, uid
from tests.e2e.systems import PROCESSORS

pytestmark = pytest.mark.e2e

BURST = 300
DRAINED_S = 90  # commits every 2.8 s, lag read at most every 3 s: a few rounds after the last decision


async def test_lag_per_group_and_topic_drains_to_zero_after_a_burst(
    shop: Shop, query: httpx.AsyncClient
) -> None:
    customer, sku = await shop.customer(), await shop.stock(BURST)
    ids = [uid("lag") for _ in range(BURST)]
    orders = [
        {
            "order_id": i,
            "customer_id": customer,
            "currency": "EUR",
            "items": [{"sku": sku, "quantity": 1, "unit_price_cents": 100}],
        }
        for i in ids
    ]
    r = await shop.ingest.post("/v1/orders:batch", json={"orders": orders})
    assert r.status_code == 202, r.text
    for order_id in ids:
        assert (await shop.wait(order_id, "VALIDATED,FAILED"))["state"] == "VALIDATED"

    deadline = time.monotonic() + DRAINED_S
    while True:
        r = await query.get("/v1/stats/lag")
        assert r.status_code == 200, r.text
        body = r.json()
        if body["total"] == 0 or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    assert body["total"] == 0, body
    assert sorted(g["processor"] for g in body["groups"]) == sorted(s.name for s in PROCESSORS)
    orders_group = next(g for g in body["groups"] if g["processor"] == "orders")
    assert orders_group["lag"] == 0
    assert any(t["topic"].endswith("order-requests") for t in orders_group["topics"])
    assert all(t["lag"] == 0 for g in body["groups"] for t in g["topics"])
