"""One order through every layer: ingest-api → Kafka → orders processor → Kafka → query-api."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from aiokafka.partitioner import DefaultPartitioner

from tests.e2e.conftest import System

PARTITIONS = 6


def uid(stem: str) -> str:
    """An id no other test uses."""
    return f"{stem}-{uuid.uuid4().hex[:12]}"


def partition_of(key: str) -> int:
    """The partition Kafka's default partitioner picks for ``key``."""
    return int(DefaultPartitioner()(key.encode(), list(range(PARTITIONS)), list(range(PARTITIONS))))


def uid_on_partition_of(key: str) -> str:
    """A fresh id on the same partition as ``key``: processed after it, in order."""
    while True:
        candidate = uid("marker")
        if partition_of(candidate) == partition_of(key):
            return candidate


async def new_customers_order(
    ingest: httpx.AsyncClient, sku: str, quantity: int = 1, unit_price_cents: int = 100
) -> dict[str, Any]:
    """The body of a new order for ``quantity`` of ``sku``, by a customer just registered."""
    customer = uid("c")
    r = await ingest.put(f"/v1/customers/{customer}", json={"name": "Ann", "email": "ann@example.com"})
    assert r.status_code == 202
    return {
        "order_id": uid("o"),
        "customer_id": customer,
        "currency": "EUR",
        "items": [{"sku": sku, "quantity": quantity, "unit_price_cents": unit_price_cents}],
    }


async def test_order_posted_is_served_as_created(
    system: System, ingest: httpx.AsyncClient, query: httpx.AsyncClient
) -> None:
    sku = uid("sku")
    order = await new_customers_order(ingest, sku, quantity=2, unit_price_cents=1250)
    customer, order_id = order["customer_id"], order["order_id"]
    r = await ingest.put(f"/v1/inventory/{sku}", json={"on_hand": 10})
    assert r.status_code == 202
    r = await ingest.post("/v1/orders", json=order)
    assert r.status_code == 202
    assert r.json() == {"order_id": order_id}
    assert r.headers["location"] == f"{system.query}/v1/orders/{order_id}"

    # The checks may pass before the first GET arrives: the view is CREATED (v1) or VALIDATED (v2).
    params: dict[str, str | int] = {"wait_for": "CREATED,VALIDATED", "timeout_ms": 10000}
    r = await query.get(f"/v1/orders/{order_id}", params=params)
    assert r.status_code == 200
    view = r.json()
    assert (view["state"], view["version"]) in {("CREATED", 1), ("VALIDATED", 2)}
    assert view["total_cents"] == 2500
    assert view["paid_cents"] == 0
    assert view["reasons"] == []
    assert view["customer_id"] == customer
    assert view["items"] == order["items"]
    assert view["placed_at"].endswith("+00:00")


async def test_reposted_order_id_keeps_the_first(ingest: httpx.AsyncClient, query: httpx.AsyncClient) -> None:
    # An unknown sku fails the order, so both it and the marker reach a final state to wait for.
    sku = uid("sku")
    first = await new_customers_order(ingest, sku)
    order_id = first["order_id"]
    second = {**first, "currency": "USD", "items": [{"sku": "b", "quantity": 5, "unit_price_cents": 7}]}
    assert (await ingest.post("/v1/orders", json=first)).status_code == 202
    assert (await ingest.post("/v1/orders", json=second)).status_code == 202
    # an order on the same partition, placed after the re-post, is processed after it
    marker = uid_on_partition_of(order_id)
    marker_order = {**first, "order_id": marker}
    assert (await ingest.post("/v1/orders", json=marker_order)).status_code == 202
    r = await query.get(f"/v1/orders/{marker}", params={"wait_for": "FAILED", "timeout_ms": 30000})
    assert r.json()["state"] == "FAILED"
    r = await query.get(f"/v1/orders/{order_id}", params={"wait_for": "FAILED", "timeout_ms": 30000})
    view = r.json()
    assert (view["state"], view["version"]) == ("FAILED", 2)
    assert view["currency"] == "EUR"
    assert view["total_cents"] == 100
    assert view["reasons"] == [f"UNKNOWN_SKU:{sku}"]


async def test_long_poll_times_out_with_404_for_unknown_order(query: httpx.AsyncClient) -> None:
    r = await query.get(f"/v1/orders/{uid('nope')}", params={"wait_for": "CREATED", "timeout_ms": 300})
    assert r.status_code == 404


async def test_long_poll_times_out_with_current_view(
    ingest: httpx.AsyncClient, query: httpx.AsyncClient
) -> None:
    # An unknown sku fails the order: FAILED is final, so the view cannot move while we wait.
    sku = uid("sku")
    order = await new_customers_order(ingest, sku)
    order_id = order["order_id"]
    assert (await ingest.post("/v1/orders", json=order)).status_code == 202
    r = await query.get(f"/v1/orders/{order_id}", params={"wait_for": "FAILED", "timeout_ms": 30000})
    assert r.json()["state"] == "FAILED"
    started = time.monotonic()
    r = await query.get(f"/v1/orders/{order_id}", params={"wait_for": "SHIPPED", "timeout_ms": 300})
    waited = time.monotonic() - started
    assert r.status_code == 200
    assert r.json()["state"] == "FAILED"
    assert r.json()["reasons"] == [f"UNKNOWN_SKU:{sku}"]
    assert waited >= 0.3
