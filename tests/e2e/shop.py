"""A user's view of the shop over HTTP: the calls the e2e tests make, with their waits."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

FINAL = "FAILED,PAID,SHIPPED,CANCELLED,VALIDATED"


def uid(stem: str) -> str:
    """An id no other test uses."""
    return f"{stem}-{uuid.uuid4().hex[:12]}"


@dataclass
class Shop:
    """ingest-api and query-api clients, with helpers that assert each call was accepted."""

    ingest: httpx.AsyncClient
    query: httpx.AsyncClient

    async def customer(self, blocked: bool = False, email: str | None = None) -> str:
        """A new customer (PUT answered 202)."""
        customer_id = uid("c")
        body = {"name": "Ann Lee", "email": email or f"{customer_id}@example.com", "blocked": blocked}
        r = await self.ingest.put(f"/v1/customers/{customer_id}", json=body)
        assert r.status_code == 202, r.text
        return customer_id

    async def stock(self, on_hand: int, sku: str | None = None) -> str:
        """A sku with ``on_hand`` units (PUT answered 202)."""
        sku = sku or uid("sku")
        r = await self.ingest.put(f"/v1/inventory/{sku}", json={"on_hand": on_hand})
        assert r.status_code == 202, r.text
        return sku

    async def order(self, customer_id: str, *lines: tuple[str, int, int], order_id: str | None = None) -> str:
        """Place an order of (sku, quantity, unit_price_cents) lines; returns its id."""
        body: dict[str, Any] = {
            "customer_id": customer_id,
            "currency": "EUR",
            "items": [{"sku": s, "quantity": q, "unit_price_cents": p} for s, q, p in lines],
        }
        if order_id:
            body["order_id"] = order_id
        r = await self.ingest.post("/v1/orders", json=body)
        assert r.status_code == 202, r.text
        return str(r.json()["order_id"])

    async def pay(
        self, order_id: str, amount: int, currency: str = "EUR", payment_id: str | None = None
    ) -> None:
        """Post a payment (202)."""
        body: dict[str, Any] = {"amount_cents": amount, "currency": currency}
        if payment_id:
            body["payment_id"] = payment_id
        r = await self.ingest.post(f"/v1/orders/{order_id}/payments", json=body)
        assert r.status_code == 202, r.text

    async def act(self, order_id: str, action: str) -> None:
        """Post cancel or ship (202)."""
        r = await self.ingest.post(f"/v1/orders/{order_id}/{action}")
        assert r.status_code == 202, r.text

    async def wait(self, order_id: str, states: str = FINAL, timeout_ms: int = 30_000) -> dict[str, Any]:
        """The order once its state is one of ``states`` (fails if it never gets there)."""
        r = await self.query.get(
            f"/v1/orders/{order_id}", params={"wait_for": states, "timeout_ms": timeout_ms}
        )
        assert r.status_code == 200, r.text
        view: dict[str, Any] = r.json()
        assert view["state"] in states.split(","), view
        return view

    async def wait_version(self, order_id: str, version: int, timeout_s: float = 30) -> dict[str, Any]:
        """The order once it reached ``version``."""
        async with asyncio.timeout(timeout_s):
            while True:
                r = await self.query.get(f"/v1/orders/{order_id}")
                if r.status_code == 200 and r.json()["version"] >= version:
                    view: dict[str, Any] = r.json()
                    return view
                await asyncio.sleep(0.05)

    async def inventory(self, sku: str) -> dict[str, Any]:
        """``{sku, on_hand, reserved, available}``."""
        r = await self.query.get(f"/v1/inventory/{sku}")
        assert r.status_code == 200, r.text
        view: dict[str, Any] = r.json()
        return view

    async def inventory_becomes(self, sku: str, expected: dict[str, int], timeout_s: float = 20) -> None:
        """Wait until the sku's numbers are ``expected`` (fails with the last numbers seen)."""
        last: dict[str, Any] = {}
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    r = await self.query.get(f"/v1/inventory/{sku}")
                    if r.status_code == 200:
                        last = r.json()
                        if {k: last[k] for k in expected} == expected:
                            return
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise AssertionError(f"{sku}: expected {expected}, last seen {last}") from None

    async def notifications(
        self, customer_id: str, kind: str, order_id: str, count: int = 1
    ) -> list[dict[str, Any]]:
        """Wait until the customer has ``count`` notifications of ``kind`` for the order."""
        async with asyncio.timeout(30):
            while True:
                r = await self.query.get(f"/v1/customers/{customer_id}/notifications", params={"limit": 100})
                if r.status_code == 200:
                    found = [
                        n
                        for n in r.json()["notifications"]
                        if n["kind"] == kind and n["order_id"] == order_id
                    ]
                    if len(found) >= count:
                        return found
                await asyncio.sleep(0.1)

    async def eventually(
        self,
        path: str,
        expected: Any,
        pick: Callable[[Any], Any] = lambda body: body,
        client: httpx.AsyncClient | None = None,
        timeout_s: float = 20,
    ) -> Any:
        """GET ``path`` (of query-api, or ``client``) until it answers 200 and ``pick(body) == expected``.

        Returns the body; fails naming the last answer. Read models follow Kafka a moment later
        than the write they reflect, so a test polls for the value it expects.
        """
        client = client or self.query
        last: Any = None
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    r = await client.get(path)
                    last = (r.status_code, r.text)
                    if r.status_code == 200 and pick(r.json()) == expected:
                        return r.json()
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise AssertionError(f"{path}: wanted {expected}, last answer {last}") from None
