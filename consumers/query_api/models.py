"""Response bodies of query-api, for the OpenAPI document."""

from __future__ import annotations

from pydantic import BaseModel, Field

from schemas.dead_letters import Kind
from schemas.records import CustomerTier, NotificationKind, OrderState


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
    tier: CustomerTier
    blocked: bool
    updated_at: str


class NotificationOut(BaseModel):
    """An e-mail the shop sent."""

    notification_id: str
    customer_id: str
    email: str
    order_id: str
    kind: NotificationKind
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
    trace_id: str | None = Field(
        default=None,
        description="W3C trace id (32 hex digits) carried by the record of this version, if any (SPEC §5)",
    )


class CustomerOrdersOut(BaseModel):
    """A page of a customer's orders, newest first; ``next_cursor`` is null on the last page."""

    orders: list[OrderView]
    next_cursor: str | None


class DeadLetterSource(BaseModel):
    """Where the dead-lettered record was read (its topic named without the deployment's prefix)."""

    topic: str
    partition: int
    offset: int


class DeadLetterRedriveOut(BaseModel):
    """When and where a re-drive sent the record back (``python -m ops dead-letters redrive``)."""

    at: str
    topic: str
    partition: int
    offset: int
    operator: str
    note: str


class DeadLetterOut(BaseModel):
    """One record of ``dead-letters``; ``id`` is its ``<partition>-<offset>`` there."""

    id: str
    dead_lettered_at: str
    service: str
    source: DeadLetterSource
    kind: Kind
    error: str
    key: str | None
    trace_id: str | None
    redriven: DeadLetterRedriveOut | None


class DeadLettersOut(BaseModel):
    """A page of dead letters, newest first; ``next_cursor`` is null on the last page."""

    dead_letters: list[DeadLetterOut]
    next_cursor: str | None
