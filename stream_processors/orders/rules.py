"""The order state machine's rules, as plain functions over records (SPEC §3).

Every function returns the new ``Order`` versions to publish (each one version higher than the
last) and, where a request is refused, the rejection; nothing here touches Kafka.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict, Unpack, get_args

from schemas.clock import EpochMillis
from schemas.records import (
    ActionKind,
    CheckKind,
    Order,
    OrderAction,
    OrderLine,
    OrderPlaced,
    OrderRejection,
    OrderState,
    OrderValidation,
    Payment,
    RejectedRequest,
)

CHECKS: frozenset[CheckKind] = frozenset(get_args(CheckKind))
PAYABLE: frozenset[OrderState] = frozenset({"CREATED", "VALIDATED", "PAID"})
CANCELLABLE: frozenset[OrderState] = frozenset({"CREATED", "VALIDATED", "PAID"})
VALIDATION_TIMEOUT = "VALIDATION_TIMEOUT"


class Held(TypedDict):
    """A payment or action that overtook its order (an entry of the ``held`` table's value)."""

    spec: str  # the name of its topic's TopicSpec: which of the two it is
    record: Payment | OrderAction
    held_at: EpochMillis
    source: tuple[str, int, int]  # topic, partition, offset (a JSON array in the table)
    value: str  # its bytes, base64
    # its headers as [name, base64 value] pairs; entries held before they were kept have none
    headers: NotRequired[list[list[str]]]


class _Changes(TypedDict, total=False):
    """The fields of an ``Order`` that a transition changes (see :func:`_next`)."""

    state: OrderState
    reasons: list[str]
    validated_at: EpochMillis
    paid_cents: int
    payment_ids: list[str]


@dataclass(frozen=True)
class Outcome:
    """What applying one event decided: new order versions, and a refusal if there was one."""

    versions: list[Order] = field(default_factory=list)
    rejection: str | None = None


def order_total(items: Sequence[OrderLine]) -> int:
    """Σ quantity × unit_price_cents, in minor units."""
    return sum(int(line["quantity"]) * int(line["unit_price_cents"]) for line in items)


def place(existing: Order | None, placed: OrderPlaced, now: EpochMillis) -> Order | None:
    """The new order for ``placed``, or None when the order_id exists (the first one wins)."""
    if existing is not None:
        return None
    items = [line.copy() for line in placed["items"]]
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


def _next(order: Order, now: EpochMillis, **changes: Unpack[_Changes]) -> Order:
    """The next version of ``order`` with ``changes``."""
    return {**order, **changes, "version": order["version"] + 1, "updated_at": now}


def _validated(order: Order, now: EpochMillis) -> list[Order]:
    """VALIDATED, then PAID in a record of its own if it is already paid in full."""
    validated = _next(order, now, state="VALIDATED", validated_at=now)
    if validated["paid_cents"] >= validated["total_cents"]:
        return [validated, _next(validated, now, state="PAID")]
    return [validated]


def validate(order: Order, passed: set[CheckKind], validation: OrderValidation, now: EpochMillis) -> Outcome:
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


@dataclass
class CheckProgress:
    """When one check last answered orders placed up to a given time: the clock of SPEC §3's time-out.

    ``started_ms``: when the orders processor began watching (a restarted or rebalanced processor
    gives every check a full time-out before blaming it). ``steps``: (placed_at, answered at)
    pairs rising in both, so that the last step at or below an order's placed_at says when the
    check last answered an order placed no later than it.
    """

    started_ms: EpochMillis
    steps: list[tuple[EpochMillis, EpochMillis]] = field(default_factory=list)

    def answered(self, placed_at: EpochMillis, now: EpochMillis) -> None:
        """The check answered an order placed at ``placed_at``, at ``now``."""
        while self.steps and self.steps[-1][0] >= placed_at:
            self.steps.pop()  # an answer this recent for an earlier order hides it
        self.steps.append((placed_at, now))

    def last_answer_up_to(self, placed_at: EpochMillis) -> EpochMillis | None:
        """When the check last answered an order placed at or before ``placed_at``; None if never."""
        i = bisect.bisect_right(self.steps, (placed_at, 2**63))
        return self.steps[i - 1][1] if i else None

    def forget_before(self, placed_at: EpochMillis) -> None:
        """Drop steps no undecided order placed at or after ``placed_at`` can need."""
        i = bisect.bisect_right(self.steps, (placed_at, 2**63))
        del self.steps[: max(0, i - 1)]


def overdue(
    created_ms: EpochMillis,
    placed_at: EpochMillis,
    missing: Iterable[CheckKind],
    progress: Mapping[CheckKind, CheckProgress],
    now: EpochMillis,
    timeout_ms: int,
) -> list[CheckKind]:
    """The checks whose result for an order is lost rather than late (SPEC §3, updated).

    A missing check's clock runs from the order's creation, and starts again each time the check
    answers an order placed no later than this one: a check working through earlier orders is
    late, not lost, however long that takes. One that answers nothing, or only orders placed after
    this one, is overdue once ``timeout_ms`` has run.
    """
    late = []
    for check in sorted(missing):
        seen = progress[check]
        since = max(created_ms, seen.started_ms, seen.last_answer_up_to(placed_at) or 0)
        if now - since >= timeout_ms:
            late.append(check)
    return late


def time_out(order: Order, now: EpochMillis) -> Outcome:
    """FAILED with VALIDATION_TIMEOUT, if the order is still CREATED."""
    if order["state"] != "CREATED":
        return Outcome()
    return Outcome([_next(order, now, state="FAILED", reasons=[VALIDATION_TIMEOUT])])


def hold(entries: Sequence[Held] | None, entry: Held) -> list[Held]:
    """``entries`` with a payment or action that overtook its order added (SPEC §3)."""
    return [*(entries or []), entry]


def split_expired(entries: Sequence[Held], now: EpochMillis, hold_ms: int) -> tuple[list[Held], list[Held]]:
    """(still held, held ``hold_ms`` or longer: for dead letters), each in arrival order."""
    kept = [e for e in entries if now - e["held_at"] < hold_ms]
    return kept, [e for e in entries if now - e["held_at"] >= hold_ms]


def pay(order: Order, payment: Payment, now: EpochMillis) -> Outcome:
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


def act(order: Order, action: ActionKind, now: EpochMillis) -> Outcome:
    """CANCEL in CREATED, VALIDATED or PAID; SHIP only in PAID; anything else is refused."""
    if action == "CANCEL" and order["state"] in CANCELLABLE:
        return Outcome([_next(order, now, state="CANCELLED")])
    if action == "SHIP" and order["state"] == "PAID":
        return Outcome([_next(order, now, state="SHIPPED")])
    return Outcome(rejection=f"{action}_NOT_ALLOWED_IN_{order['state']}")


def rejection(
    order: Order | None,
    request_id: str,
    order_id: str,
    request: RejectedRequest,
    reason: str,
    now: EpochMillis,
) -> OrderRejection:
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
