"""Orders as tests place them: a one-line order body, and the ``OrderPlaced`` record it becomes."""

from __future__ import annotations

from typing import Any

from schemas.clock import now_ms


def one_line_order(order_id: str, *, quantity: int = 2, unit_price_cents: int = 150) -> dict[str, Any]:
    """A ``POST /v1/orders`` body: ``quantity`` of sku s-1 for customer c-1, in EUR."""
    return {
        "order_id": order_id,
        "customer_id": "c-1",
        "currency": "EUR",
        "items": [{"sku": "s-1", "quantity": quantity, "unit_price_cents": unit_price_cents}],
    }


def order_placed(order_id: str, *, quantity: int = 2, unit_price_cents: int = 150) -> dict[str, Any]:
    """The ``OrderPlaced`` record of :func:`one_line_order`, placed now."""
    return {
        **one_line_order(order_id, quantity=quantity, unit_price_cents=unit_price_cents),
        "placed_at": now_ms(),
    }
