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


class CustomerOut(BaseModel):
    """A customer as last set."""

    customer_id: str
    name: str
    email: str
    tier: Literal["BRONZE", "SILVER", "GOLD", "PLATINUM"]
    blocked: bool
    updated_at: str


class NotificationOut(BaseModel):
    """An e-mail the shop sent."""

    notification_id: str
    customer_id: str
    email: str
    order_id: str
    kind: Literal[
        "ORDER_CONFIRMED",
        "ORDER_FAILED",
        "PAYMENT_RECEIVED",
        "ORDER_SHIPPED",
        "ORDER_CANCELLED",
        "ACTION_REJECTED",
    ]
    text: str
    created_at: str


class NotificationsOut(BaseModel):
    """Notifications, newest first."""

    notifications: list[NotificationOut]


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


class CustomerOrdersOut(BaseModel):
    """A page of a customer's orders, newest first; ``next_cursor`` is null on the last page."""

    orders: list[OrderView]
    next_cursor: str | None
