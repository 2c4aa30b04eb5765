"""Python types of every record, generated from schemas/avro by ``python -m schemas.codegen``.

Do not edit: change the .avsc files and regenerate.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from schemas.clock import EpochMillis

CustomerTier = Literal["BRONZE", "SILVER", "GOLD", "PLATINUM"]


class Customer(TypedDict):
    """A customer as last set by an operator (topic customers, compacted, key customer_id)."""

    customer_id: str
    name: str
    email: str
    tier: NotRequired[CustomerTier]
    blocked: NotRequired[bool]
    updated_at: EpochMillis


class DeadLetterRedrive(TypedDict):
    """A dead letter sent back to its source topic, once (dead-letter-redrives, key: its id)."""

    dead_letter_id: str
    source_topic: str
    partition: int
    offset: int
    redriven_at: EpochMillis
    operator: str
    note: NotRequired[str]


class InventoryLevel(TypedDict):
    """Stock on hand of a sku as set by an operator (topic inventory-levels, compacted, key sku)."""

    sku: str
    on_hand: int
    updated_at: EpochMillis


class InventoryView(TypedDict):
    """Stock of a sku with its reservations (topic inventory, compacted, key sku)."""

    sku: str
    on_hand: int
    reserved: int
    available: int
    updated_at: EpochMillis


NotificationKind = Literal[
    "ORDER_CONFIRMED",
    "ORDER_FAILED",
    "PAYMENT_RECEIVED",
    "ORDER_SHIPPED",
    "ORDER_CANCELLED",
    "ACTION_REJECTED",
]


class Notification(TypedDict):
    """An e-mail the shop would send (topic notifications, key customer_id)."""

    notification_id: str
    customer_id: str
    email: str
    order_id: str
    kind: NotificationKind
    text: str
    created_at: EpochMillis


class OrderLine(TypedDict):
    """One line of an order."""

    sku: str
    quantity: int
    unit_price_cents: int


OrderState = Literal["CREATED", "VALIDATED", "FAILED", "PAID", "SHIPPED", "CANCELLED"]


class Order(TypedDict):
    """The canonical state of an order; written only by the orders processor (topic orders, compacted)."""

    order_id: str
    customer_id: str
    currency: str
    items: list[OrderLine]
    total_cents: int
    paid_cents: NotRequired[int]
    state: OrderState
    reasons: NotRequired[list[str]]
    version: int
    placed_at: EpochMillis
    updated_at: EpochMillis
    validated_at: NotRequired[EpochMillis | None]
    payment_ids: NotRequired[list[str]]


ActionKind = Literal["CANCEL", "SHIP"]


class OrderAction(TypedDict):
    """A request to cancel or ship an order (topic order-actions, key order_id)."""

    order_id: str
    action: ActionKind
    requested_at: EpochMillis
    action_id: NotRequired[str]


class OrderPlaced(TypedDict):
    """A customer's request to place an order (topic order-requests, key order_id)."""

    order_id: str
    customer_id: str
    currency: str
    items: list[OrderLine]
    placed_at: EpochMillis


RejectedRequest = Literal["PAYMENT", "CANCEL", "SHIP"]


class OrderRejection(TypedDict):
    """A payment or action the orders processor refused, the order unchanged (topic order-rejections)."""

    rejection_id: str
    order_id: str
    customer_id: str
    request: RejectedRequest
    reason: str
    state: str
    rejected_at: EpochMillis


CheckKind = Literal["DETAILS", "INVENTORY", "FRAUD"]


class OrderValidation(TypedDict):
    """The result of one check of an order (topic order-validations, key order_id)."""

    order_id: str
    check: CheckKind
    passed: bool
    reasons: NotRequired[list[str]]
    checked_at: EpochMillis


class Payment(TypedDict):
    """Money received for an order (topic payments, key order_id)."""

    payment_id: str
    order_id: str
    amount_cents: int
    currency: str
    received_at: EpochMillis


class SalesWindow(TypedDict):
    """Sales of one sku in one 1-minute tumbling window by placed_at (topic sales-per-minute, key sku)."""

    sku: str
    window_start: EpochMillis
    window_end: EpochMillis
    orders: int
    units: int
    revenue_cents: int


class StateCount(TypedDict):
    """How many orders are in one state now (topic order-counts, compacted, key state)."""

    state: str
    count: int
