"""Response bodies of query-api, for the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

OrderState = Literal["CREATED", "VALIDATED", "FAILED", "PAID", "SHIPPED", "CANCELLED"]


class OrderLine(BaseModel):
    """One line of an order."""

    sku: str
    quantity: int
    unit_price_cents: int


class InventoryOut(BaseModel):
    """Stock of a sku: available = on_hand − reserved (below 0 if stock was lowered under reservations)."""

    sku: str
    on_hand: int
    reserved: int
    available: int


class OrderView(BaseModel):
    """Every field of the ``Order`` record; timestamps are ISO-8601 strings."""

    order_id: str
    customer_id: str
    currency: str
    items: list[OrderLine]
    total_cents: int
    paid_cents: int
    state: OrderState
    reasons: list[str]
    version: int
    placed_at: str
    updated_at: str
    validated_at: str | None = None
    payment_ids: list[str] = []
