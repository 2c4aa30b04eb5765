"""Two replicas of query-api, fed by the same topics, answer identically."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infra.services import SERVICES
from tests.e2e.shop import Shop
from tests.e2e.systems import PROCESSORS, start_system
from tests.helpers.processes import Running

QUERY = next(s for s in SERVICES if s.name == "query-api")


@pytest.fixture(scope="module")
def replicated(kafka: str, schema_registry: str) -> Iterator[dict[str, Running]]:
    """Every service plus a second query-api on the same topics."""
    second = dataclasses.replace(QUERY, name="query-api-2")
    with start_system(kafka, schema_registry, [*PROCESSORS, second], "replicas-") as started:
        yield started


def kinds(body: dict[str, Any]) -> list[str]:
    """The kinds of a notifications page, sorted."""
    return sorted(n["kind"] for n in body["notifications"])


def test_two_query_api_replicas_answer_identically(replicated: dict[str, Running]) -> None:
    async def body() -> None:
        async with (
            httpx.AsyncClient(base_url=replicated["ingest-api"].url, timeout=30) as ingest,
            httpx.AsyncClient(base_url=replicated["query-api"].url, timeout=70) as one,
            httpx.AsyncClient(base_url=replicated["query-api-2"].url, timeout=70) as two,
        ):
            shop = Shop(ingest, one)
            customer, sku = await shop.customer(), await shop.stock(4)
            orders = [await shop.order(customer, (sku, 2, 100)) for _ in range(3)]
            # Stock for two: which two orders reserve first is up to the partitions they land on.
            states = {o: (await shop.wait(o, "VALIDATED,FAILED"))["state"] for o in orders}
            assert sorted(states.values()) == ["FAILED", "VALIDATED", "VALIDATED"], states
            paid = next(o for o, state in states.items() if state == "VALIDATED")
            await shop.pay(paid, 200)
            await shop.wait(paid, "PAID")
            await shop.notifications(customer, "PAYMENT_RECEIVED", paid)
            # the last records reach each replica in its own time: wait until both show the end state
            counts = {"CREATED": 0, "VALIDATED": 1, "FAILED": 1, "PAID": 1, "SHIPPED": 0, "CANCELLED": 0}
            for replica in (one, two):
                await shop.eventually(f"/v1/orders/{paid}", "PAID", lambda b: b["state"], replica)
                await shop.eventually("/v1/stats/orders", counts, lambda b: b["counts"], replica)
                stock = (4, 4)  # on_hand, reserved by the two validated orders
                await shop.eventually(
                    f"/v1/inventory/{sku}", stock, lambda b: (b["on_hand"], b["reserved"]), replica
                )
                mails = ["ORDER_CONFIRMED", "ORDER_CONFIRMED", "ORDER_FAILED", "PAYMENT_RECEIVED"]
                await shop.eventually(f"/v1/customers/{customer}/notifications", mails, kinds, replica)
            paths = [
                *(f"/v1/orders/{o}" for o in orders),
                f"/v1/customers/{customer}",
                f"/v1/customers/{customer}/orders?limit=2",
                f"/v1/customers/{customer}/notifications",
                f"/v1/inventory/{sku}",
                "/v1/stats/orders",
            ]
            for path in paths:
                first = await one.get(path)
                assert first.status_code == 200, path
                await shop.eventually(path, first.json(), client=two)  # the same answer

    asyncio.run(body())
