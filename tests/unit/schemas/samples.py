"""One valid sample of every record of SPEC §2."""

from __future__ import annotations

from typing import Any

T0 = 1_795_867_200_123  # 2026-11-28T12:00:00.123Z, in epoch millis as records carry it
LINES = [
    {"sku": "sku-1", "quantity": 2, "unit_price_cents": 1250},
    {"sku": "sku-2", "quantity": 1, "unit_price_cents": 99},
    {"sku": "sku-3", "quantity": 1000, "unit_price_cents": 100_000_000},
]

SAMPLES: dict[str, dict[str, Any]] = {
    "Customer": {
        "customer_id": "c-1",
        "name": "Ann Lee",
        "email": "ann@example.com",
        "tier": "GOLD",
        "blocked": False,
        "updated_at": T0,
    },
    "InventoryLevel": {"sku": "sku-1", "on_hand": 10, "updated_at": T0},
    "OrderPlaced": {
        "order_id": "o-1",
        "customer_id": "c-1",
        "currency": "EUR",
        "items": LINES,
        "placed_at": T0,
    },
    "Payment": {
        "payment_id": "p-1",
        "order_id": "o-1",
        "amount_cents": 2599,
        "currency": "EUR",
        "received_at": T0,
    },
    "OrderAction": {"order_id": "o-1", "action": "SHIP", "requested_at": T0, "action_id": "a-1"},
    "OrderRejection": {
        "rejection_id": "a-1",
        "order_id": "o-1",
        "customer_id": "c-1",
        "request": "SHIP",
        "reason": "SHIP_REQUIRES_PAID",
        "state": "VALIDATED",
        "rejected_at": T0,
    },
    "Order": {
        "order_id": "o-1",
        "customer_id": "c-1",
        "currency": "EUR",
        "items": LINES,
        "total_cents": 100_000_002_599,
        "paid_cents": 0,
        "state": "FAILED",
        "reasons": ["TOTAL_TOO_LARGE"],
        "version": 2,
        "placed_at": T0,
        "updated_at": T0,
        "validated_at": None,
        "payment_ids": [],
    },
    "OrderValidation": {
        "order_id": "o-1",
        "check": "INVENTORY",
        "passed": False,
        "reasons": ["OUT_OF_STOCK:sku-1"],
        "checked_at": T0,
    },
    "InventoryView": {"sku": "sku-1", "on_hand": 10, "reserved": 12, "available": -2, "updated_at": T0},
    "Notification": {
        "notification_id": "n-1",
        "customer_id": "c-1",
        "email": "ann@example.com",
        "order_id": "o-1",
        "kind": "ORDER_FAILED",
        "text": "Your order o-1 failed: TOTAL_TOO_LARGE",
        "created_at": T0,
    },
    "SalesWindow": {
        "sku": "sku-1",
        "window_start": T0,
        "window_end": T0,
        "orders": 3,
        "units": 7,
        "revenue_cents": 8750,
    },
    "StateCount": {"state": "CREATED", "count": 42},
    "DeadLetterRedrive": {
        "dead_letter_id": "3-1542",
        "source_topic": "payments",
        "partition": 4,
        "offset": 77,
        "redriven_at": T0,
        "operator": "ann",
        "note": "hold time fixed",
    },
}
