"""A realistic mix of shop traffic, as plain data: which HTTP call comes next.

Mostly good orders, some out of stock, some over the fraud limit, then payments, ships and
cancels for orders placed earlier (some of them refused, as in real life).
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from schemas.records import OrderLine

SCARCE_SKU = "sim-scarce"
WHALE = "sim-whale"
#: a request body as sent over HTTP: JSON of one of ingest-api's request shapes (its models.py states
#: them and validates every field), which whoever replays or audits the calls reads field by field
JsonBody = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One HTTP request to ingest-api."""

    kind: str
    method: str
    path: str
    body: JsonBody | None = None


@dataclass
class Mix:
    """Draws the next call; remembers placed orders to pay, ship or cancel them later."""

    customers: int = 50
    skus: int = 20
    seed: int | None = None
    rng: random.Random = field(init=False)
    placed: deque[tuple[str, int]] = field(default_factory=lambda: deque(maxlen=5000))
    paid: deque[str] = field(default_factory=lambda: deque(maxlen=5000))
    counter: int = 0
    run: str = ""

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - traffic shape, not security
        self.run = f"{self.rng.getrandbits(32):08x}"  # order ids differ between runs

    def seed_calls(self) -> list[Call]:
        """Customers and stock to start from (one scarce sku, one customer who spends a lot)."""
        calls = [
            Call(
                "customer",
                "PUT",
                f"/v1/customers/sim-c{i}",
                {"name": f"Customer {i}", "email": f"c{i}@example.com"},
            )
            for i in range(self.customers)
        ]
        calls.append(
            Call("customer", "PUT", f"/v1/customers/{WHALE}", {"name": "Whale", "email": "w@example.com"})
        )
        calls += [
            Call("stock", "PUT", f"/v1/inventory/sim-s{i}", {"on_hand": 1_000_000}) for i in range(self.skus)
        ]
        calls.append(Call("stock", "PUT", f"/v1/inventory/{SCARCE_SKU}", {"on_hand": 1}))
        return calls

    def next_call(self) -> Call:
        """The next request of the mix."""
        roll = self.rng.random()
        if roll < 0.20 and self.placed:
            order_id, total = self.placed.popleft()
            self.paid.append(order_id)
            return Call(
                "payment",
                "POST",
                f"/v1/orders/{order_id}/payments",
                {"amount_cents": total, "currency": "EUR"},
            )
        if roll < 0.30 and self.paid:
            order_id = self.paid.popleft()
            action = "cancel" if self.rng.random() < 0.2 else "ship"
            return Call(action, "POST", f"/v1/orders/{order_id}/{action}")
        return self._order(self.rng.random())

    def _order(self, roll: float) -> Call:
        """A new order: good (90%), out of stock (6%) or over the fraud limit (4%)."""
        self.counter += 1
        order_id = f"sim-{self.run}-{self.counter}"
        customer = f"sim-c{self.rng.randrange(self.customers)}"
        lines: list[OrderLine] = [
            {
                "sku": f"sim-s{s}",
                "quantity": self.rng.randint(1, 3),
                "unit_price_cents": self.rng.randint(100, 5000),
            }
            for s in self.rng.sample(range(self.skus), self.rng.randint(1, min(3, self.skus)))
        ]
        kind = "order"
        if roll < 0.06:
            lines, kind = [{"sku": SCARCE_SKU, "quantity": 5, "unit_price_cents": 100}], "order-out-of-stock"
        elif roll < 0.10:
            customer, kind = WHALE, "order-over-limit"
            lines = [{"sku": "sim-s0", "quantity": 1, "unit_price_cents": 250_000}]
        total = sum(line["quantity"] * line["unit_price_cents"] for line in lines)
        self.placed.append((order_id, total))
        body = {"order_id": order_id, "customer_id": customer, "currency": "EUR", "items": lines}
        return Call(kind, "POST", "/v1/orders", body)
