"""The order state machine's rules, as plain functions over records (SPEC §3).

Every function returns the new ``Order`` versions to publish (each one version higher than the
last) and, where a request is refused, the rejection; nothing here touches Kafka.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas.clock import EpochMillis

Record = dict[str, Any]
CHECKS = frozenset({"DETAILS", "INVENTORY", "FRAUD"})
PAYABLE = frozenset({"CREATED", "VALIDATED", "PAID"})
CANCELLABLE = frozenset({"CREATED", "VALIDATED", "PAID"})
VALIDATION_TIMEOUT = "VALIDATION_TIMEOUT"


@dataclass(frozen=True)
class Outcome:
    """What applying one event decided: new order versions, and a refusal if there was one."""

    versions: list[Record] = field(default_factory=list)
    rejection: str | None = None


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
        "payment_ids": [],
    }


def _next(order: Mapping[str, Any], now: EpochMillis, **changes: Any) -> Record:
    """The next version of ``order`` with ``changes``."""
    return {**order, **changes, "version": order["version"] + 1, "updated_at": now}


def _validated(order: Record, now: EpochMillis) -> list[Record]:
    """VALIDATED, then PAID in a record of its own if it is already paid in full."""
    validated = _next(order, now, state="VALIDATED", validated_at=now)
    if validated["paid_cents"] >= validated["total_cents"]:
        return [validated, _next(validated, now, state="PAID")]
    return [validated]


def validate(order: Record, passed: set[str], validation: Mapping[str, Any], now: EpochMillis) -> Outcome:
    """Apply one check result; ``passed`` (checks passed so far) is updated in place.

    Counted per check, never per message; only a CREATED order changes its validation outcome.
    """
    if order["state"] != "CREATED":
        return Outcome()
    if not validation["passed"]:
        return Outcome([_next(order, now, state="FAILED", reasons=list(validation["reasons"]))])
    passed.add(validation["check"])
    if passed >= CHECKS:
        return Outcome(_validated(order, now))
    return Outcome()


def time_out(order: Record, deadline: EpochMillis, now: EpochMillis) -> Outcome:
    """FAILED with VALIDATION_TIMEOUT if the order is still CREATED after its deadline."""
    if order["state"] != "CREATED" or now < deadline:
        return Outcome()
    return Outcome([_next(order, now, state="FAILED", reasons=[VALIDATION_TIMEOUT])])


def pay(order: Record, payment: Mapping[str, Any], now: EpochMillis) -> Outcome:
    """Count a payment once per payment_id; refuse other currencies and unpayable states."""
    if payment["payment_id"] in order["payment_ids"]:
        return Outcome()
    if order["state"] not in PAYABLE:
        return Outcome(rejection=f"PAYMENT_NOT_ACCEPTED_IN_{order['state']}")
    if payment["currency"] != order["currency"]:
        return Outcome(rejection=f"CURRENCY_MISMATCH:{payment['currency']}")
    paid = _next(
        order,
        now,
        paid_cents=order["paid_cents"] + payment["amount_cents"],
        payment_ids=[*order["payment_ids"], payment["payment_id"]],
    )
    if paid["state"] == "VALIDATED" and paid["paid_cents"] >= paid["total_cents"]:
        paid["state"] = "PAID"
    return Outcome([paid])


def act(order: Record, action: str, now: EpochMillis) -> Outcome:
    """CANCEL in CREATED, VALIDATED or PAID; SHIP only in PAID; anything else is refused."""
    if action == "CANCEL" and order["state"] in CANCELLABLE:
        return Outcome([_next(order, now, state="CANCELLED")])
    if action == "SHIP" and order["state"] == "PAID":
        return Outcome([_next(order, now, state="SHIPPED")])
    return Outcome(rejection=f"{action}_NOT_ALLOWED_IN_{order['state']}")


def rejection(
    order: Mapping[str, Any] | None,
    request_id: str,
    order_id: str,
    request: str,
    reason: str,
    now: EpochMillis,
) -> Record:
    """The ``OrderRejection`` record of a refused payment or action."""
    return {
        "rejection_id": request_id,
        "order_id": order_id,
        "customer_id": order["customer_id"] if order else "",
        "request": request,
        "reason": reason,
        "state": order["state"] if order else "UNKNOWN",
        "rejected_at": now,
    }
