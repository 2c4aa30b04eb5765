"""Analytics rules (SPEC §3): sales per sku per minute over validated orders, orders per state.

Every function is idempotent in the order_id, so a redelivered record changes nothing.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from schemas.clock import EpochMillis
from schemas.records import Order, OrderState, SalesWindow

MINUTE_MS = 60_000


class Seen(TypedDict):
    """What analytics last saw of an order (the ``seen`` table's value)."""

    state: OrderState
    version: int


class StateChange(TypedDict):
    """An order leaving or entering a state (the internal ``state-changes`` topic, keyed by state)."""

    op: Literal["leave", "enter"]
    order_id: str


class Sale(TypedDict):
    """What one validated order sold of one sku (the internal ``sales`` topic, keyed by sku)."""

    order_id: str
    sku: str
    units: int
    revenue_cents: int
    window_start: EpochMillis


class Window(TypedDict):
    """The sales of one sku in one minute so far (the ``windows`` table's value), each order once."""

    orders: int
    units: int
    revenue_cents: int
    order_ids: list[str]


def window_of(placed_at: EpochMillis) -> EpochMillis:
    """Start of the 1-minute tumbling window holding ``placed_at``."""
    return placed_at - placed_at % MINUTE_MS


def transition(seen: Seen | None, order: Order) -> tuple[OrderState | None, OrderState] | None:
    """(state left or None, state entered) if this version is new and changes the state."""
    if seen is not None and order["version"] <= seen["version"]:
        return None
    before = seen["state"] if seen else None
    return None if before == order["state"] else (before, order["state"])


def sales(order: Order) -> list[Sale]:
    """The per-sku sales of an order that has just become VALIDATED (lines of one sku summed)."""
    start = window_of(order["placed_at"])
    lines: dict[str, Sale] = {}
    for item in order["items"]:
        line = lines.setdefault(
            item["sku"],
            {
                "order_id": order["order_id"],
                "sku": item["sku"],
                "units": 0,
                "revenue_cents": 0,
                "window_start": start,
            },
        )
        line["units"] += int(item["quantity"])
        line["revenue_cents"] += int(item["quantity"]) * int(item["unit_price_cents"])
    return list(lines.values())


def add_sale(window: Window | None, sale: Sale) -> Window | None:
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


def sales_window(sku: str, start: EpochMillis, window: Window) -> SalesWindow:
    """The ``SalesWindow`` record of one sku and minute."""
    return {
        "sku": sku,
        "window_start": start,
        "window_end": start + MINUTE_MS,
        "orders": window["orders"],
        "units": window["units"],
        "revenue_cents": window["revenue_cents"],
    }
