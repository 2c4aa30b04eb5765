"""Analytics rules (SPEC §3): sales per sku per minute over validated orders, orders per state.

Every function is idempotent in the order_id, so a redelivered record changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.clock import EpochMillis

MINUTE_MS = 60_000
Seen = dict[str, Any]  # what analytics last saw of an order: {"state", "version"}


def window_of(placed_at: EpochMillis) -> EpochMillis:
    """Start of the 1-minute tumbling window holding ``placed_at``."""
    return placed_at - placed_at % MINUTE_MS


def transition(seen: Seen | None, order: Mapping[str, Any]) -> tuple[str | None, str] | None:
    """(state left or None, state entered) if this version is new and changes the state."""
    if seen is not None and order["version"] <= seen["version"]:
        return None
    before = seen["state"] if seen else None
    return None if before == order["state"] else (before, order["state"])


def sales(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The per-sku sales of an order that has just become VALIDATED (lines of one sku summed)."""
    lines: dict[str, dict[str, Any]] = {}
    for item in order["items"]:
        line = lines.setdefault(
            item["sku"],
            {"order_id": order["order_id"], "sku": item["sku"], "units": 0, "revenue_cents": 0},
        )
        line["units"] += int(item["quantity"])
        line["revenue_cents"] += int(item["quantity"]) * int(item["unit_price_cents"])
    start = window_of(order["placed_at"])
    return [{**line, "window_start": start} for line in lines.values()]


def add_sale(window: dict[str, Any] | None, sale: Mapping[str, Any]) -> dict[str, Any] | None:
    """The window with ``sale`` counted, or None if that order was already counted in it."""
    window = window or {"orders": 0, "units": 0, "revenue_cents": 0, "order_ids": []}
    if sale["order_id"] in window["order_ids"]:
        return None
    return {
        "orders": window["orders"] + 1,
        "units": window["units"] + sale["units"],
        "revenue_cents": window["revenue_cents"] + sale["revenue_cents"],
        "order_ids": [*window["order_ids"], sale["order_id"]],
    }


def sales_window(sku: str, start: EpochMillis, window: Mapping[str, Any]) -> dict[str, Any]:
    """The ``SalesWindow`` record of one sku and minute."""
    return {
        "sku": sku,
        "window_start": start,
        "window_end": start + MINUTE_MS,
        "orders": window["orders"],
        "units": window["units"],
        "revenue_cents": window["revenue_cents"],
    }
