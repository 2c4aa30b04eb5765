"""The FRAUD check (SPEC §3) as plain functions over a customer's recent orders.

A customer's state is a list of entries ``[placed_at, total_cents, order_id, passed]``. The
window of an order placed at ``t`` holds the entries already seen with placed_at in
``(t - window, t]``, the order itself included; later-placed orders seen earlier do not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.clock import EpochMillis
from schemas.records import CheckKind, Order, OrderValidation
from stream_processors.common import checks

Entry = list[Any]  # [placed_at, total_cents, order_id, passed]: a JSON array in the table
CHECK: CheckKind = "FRAUD"
FRAUD_LIMIT = "FRAUD_LIMIT"
PLACED_AT, TOTAL, ORDER_ID, PASSED = range(4)


@dataclass(frozen=True)
class Decision:
    """The outcome for one order: passed or not, the entries to keep, and whether it was a repeat."""

    passed: bool
    entries: list[Entry]
    repeated: bool = False


def window_total(entries: Sequence[Entry], placed_at: EpochMillis, window_ms: int) -> int:
    """Σ total_cents of the entries placed in ``(placed_at - window_ms, placed_at]``."""
    return sum(int(e[TOTAL]) for e in entries if placed_at - window_ms < e[PLACED_AT] <= placed_at)


def prune(entries: Sequence[Entry], window_ms: int) -> list[Entry]:
    """The entries still inside the window of the newest placed_at among them."""
    if not entries:
        return []
    newest = max(e[PLACED_AT] for e in entries)
    return [list(e) for e in entries if e[PLACED_AT] > newest - window_ms]


def check(entries: Sequence[Entry], order: Order, limit_cents: int, window_ms: int) -> Decision:
    """Decide ``order`` against its customer's ``entries``; an order seen before keeps its decision."""
    order_id = order["order_id"]
    for entry in entries:
        if entry[ORDER_ID] == order_id:
            return Decision(bool(entry[PASSED]), [list(e) for e in entries], repeated=True)
    placed_at, total = int(order["placed_at"]), int(order["total_cents"])
    entry = [placed_at, total, order_id]
    passed = window_total([*entries, entry], placed_at, window_ms) < limit_cents
    return Decision(passed, prune([*entries, [*entry, passed]], window_ms))


def validation(order_id: str, passed: bool, now: EpochMillis) -> OrderValidation:
    """The ``OrderValidation`` of the FRAUD check."""
    return checks.validation(order_id, CHECK, [] if passed else [FRAUD_LIMIT], now)
