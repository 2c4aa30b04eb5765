"""The order state machine's rules, as plain functions over records (SPEC §3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from schemas.clock import EpochMillis

Record = dict[str, Any]


def order_total(items: Sequence[Mapping[str, Any]]) -> int:
    """Σ quantity × unit_price_cents, in minor units."""
    return sum(int(line["quantity"]) * int(line["unit_price_cents"]) for line in items)


def place(existing: Mapping[str, Any] | None, placed: Mapping[str, Any], now: EpochMillis) -> Record | None:
    """The new order for ``placed``, or None when the order_id exists (the first one wins)."""
    if existing is not None:
        return None
    items = [dict(line) for line in placed["items"]]
    return {
        "order_id": placed["order_id"],
        "customer_id": placed["customer_id"],
        "currency": placed["currency"],
        "items": items,
        "total_cents": order_total(items),
        "paid_cents": 0,
        "state": "CREATED",
        "reasons": [],
        "version": 1,
        "placed_at": placed["placed_at"],
        "updated_at": now,
        "validated_at": None,
    }
