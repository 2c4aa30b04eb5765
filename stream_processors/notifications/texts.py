"""The words of each notification: what a customer reads in the e-mail."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.records import Order, OrderRejection, RejectedRequest

# ISO-4217 minor-unit digits that differ from the usual 2
_MINOR_DIGITS = {"BHD": 3, "CLP": 0, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "OMR": 3, "TND": 3}
_REQUESTS: dict[RejectedRequest, str] = {
    "PAYMENT": "payment",
    "CANCEL": "request to cancel",
    "SHIP": "request to ship",
}


def money(cents: int, currency: str) -> str:
    """``cents`` minor units as an amount a person reads, e.g. ``12.50 EUR``."""
    digits = _MINOR_DIGITS.get(currency, 2)
    sign, units = ("-" if cents < 0 else ""), abs(cents)
    if digits == 0:
        return f"{sign}{units} {currency}"
    major, minor = divmod(units, 10**digits)
    return f"{sign}{major}.{minor:0{digits}d} {currency}"


def confirmed(order: Order) -> str:
    """ORDER_CONFIRMED: the order passed every check."""
    total = money(order["total_cents"], order["currency"])
    return f"Your order {order['order_id']} is confirmed. Total: {total}."


def failed(order: Order) -> str:
    """ORDER_FAILED, with the reasons of the check that decided it."""
    reasons: Sequence[str] = order.get("reasons") or []
    why = ", ".join(reasons) if reasons else "no reason given"
    return f"Your order {order['order_id']} could not be accepted: {why}."


def payment_received(order: Order, paid_before: int) -> str:
    """PAYMENT_RECEIVED: how much came in, how much is paid of the total."""
    currency, paid, total = order["currency"], order.get("paid_cents", 0), order["total_cents"]
    text = (
        f"We received {money(paid - paid_before, currency)} for your order {order['order_id']}: "
        f"{money(paid, currency)} of {money(total, currency)} paid."
    )
    return f"{text} Your order is paid in full." if paid >= total else text


def shipped(order: Order) -> str:
    """ORDER_SHIPPED."""
    return f"Your order {order['order_id']} has shipped."


def cancelled(order: Order) -> str:
    """ORDER_CANCELLED."""
    return f"Your order {order['order_id']} has been cancelled."


def rejected(rejection: OrderRejection) -> str:
    """ACTION_REJECTED: which request was refused, why, and the order's state then."""
    request = _REQUESTS.get(rejection["request"], rejection["request"])
    return (
        f"Your {request} for order {rejection['order_id']} was refused: {rejection['reason']} "
        f"(the order is {rejection['state']})."
    )
