"""What the three validators share: which ``Order`` record asks for a check, and the answer's shape."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.clock import EpochMillis
from schemas.records import CheckKind, Order, OrderValidation


def is_new(order: Order) -> bool:
    """Whether ``order`` is the first record of an order (CREATED, version 1): the one to check."""
    return bool(order["state"] == "CREATED" and order["version"] == 1)


def validation(order_id: str, check: CheckKind, reasons: Sequence[str], now: EpochMillis) -> OrderValidation:
    """The ``OrderValidation`` record of ``check``: passed when there is no reason against it."""
    return {
        "order_id": order_id,
        "check": check,
        "passed": not reasons,
        "reasons": list(reasons),
        "checked_at": now,
    }
