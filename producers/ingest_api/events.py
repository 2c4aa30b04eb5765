"""Turns validated requests into the Avro records of SPEC §2."""

from __future__ import annotations

import uuid

from producers.ingest_api.models import CustomerIn, InventoryIn, OrderIn, PaymentIn
from schemas.clock import EpochMillis, now_ms
from schemas.records import ActionKind, Customer, InventoryLevel, OrderAction, OrderPlaced, Payment


def now() -> EpochMillis:
    """The current time, at Avro's millisecond precision."""
    return now_ms()


def new_id() -> str:
    """A fresh identifier for an order or payment the client did not name."""
    return str(uuid.uuid4())


def customer(customer_id: str, body: CustomerIn) -> Customer:
    """The ``Customer`` record of a PUT."""
    return {
        "customer_id": customer_id,
        "name": body.name,
        "email": body.email,
        "tier": body.tier,
        "blocked": body.blocked,
        "updated_at": now(),
    }


def inventory_level(sku: str, body: InventoryIn) -> InventoryLevel:
    """The ``InventoryLevel`` record of a PUT."""
    return {"sku": sku, "on_hand": body.on_hand, "updated_at": now()}


def order_placed(order: OrderIn, placed_at: EpochMillis) -> OrderPlaced:
    """The ``OrderPlaced`` record of a validated order, with its id generated if absent."""
    return {
        "order_id": order.get("order_id") or new_id(),
        "customer_id": order["customer_id"],
        "currency": order["currency"],
        "items": order["items"],
        "placed_at": placed_at,
    }


def payment(order_id: str, body: PaymentIn) -> Payment:
    """The ``Payment`` record of a POST, with its id generated if absent."""
    return {
        "payment_id": body.payment_id or new_id(),
        "order_id": order_id,
        "amount_cents": body.amount_cents,
        "currency": body.currency,
        "received_at": now(),
    }


def order_action(order_id: str, action: ActionKind) -> OrderAction:
    """The ``OrderAction`` record of a cancel or ship request."""
    return {"order_id": order_id, "action": action, "requested_at": now(), "action_id": new_id()}
