"""The DETAILS check (SPEC §3) as plain functions over records: why an order fails, if it does."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from schemas.clock import EpochMillis
from schemas.records import CheckKind, Customer, Order, OrderLine, OrderValidation
from stream_processors.common import checks

CHECK: CheckKind = "DETAILS"
MAX_TOTAL_CENTS = 100_000_000
UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER"
CUSTOMER_BLOCKED = "CUSTOMER_BLOCKED"
TOTAL_TOO_LARGE = "TOTAL_TOO_LARGE"
DUPLICATE_SKU = "DUPLICATE_SKU:"
REFERENCE_REASONS = frozenset({UNKNOWN_CUSTOMER, CUSTOMER_BLOCKED})


def customer_reasons(customer: Customer | None) -> list[str]:
    """UNKNOWN_CUSTOMER when there is no such customer, CUSTOMER_BLOCKED when it is blocked."""
    if customer is None:
        return [UNKNOWN_CUSTOMER]
    if customer.get("blocked", False):
        return [CUSTOMER_BLOCKED]
    return []


def duplicate_skus(items: Sequence[OrderLine]) -> list[str]:
    """``DUPLICATE_SKU:<sku>`` once per sku on more than one line, in order of first appearance."""
    counts = Counter(str(line["sku"]) for line in items)
    return [f"{DUPLICATE_SKU}{sku}" for sku, count in counts.items() if count > 1]


def total_reasons(total_cents: int) -> list[str]:
    """TOTAL_TOO_LARGE above 100,000,000 cents (exactly that much passes)."""
    return [TOTAL_TOO_LARGE] if total_cents > MAX_TOTAL_CENTS else []


def reasons(order: Order, customer: Customer | None) -> list[str]:
    """Every reason ``order`` fails DETAILS for: customer first, then duplicate skus, then total."""
    return [
        *customer_reasons(customer),
        *duplicate_skus(order["items"]),
        *total_reasons(int(order["total_cents"])),
    ]


def needs_reference(found: Iterable[str]) -> bool:
    """Whether a reason depends on customer data that might not have been read yet."""
    return any(reason in REFERENCE_REASONS for reason in found)


def validation(order_id: str, found: Sequence[str], now: EpochMillis) -> OrderValidation:
    """The ``OrderValidation`` of the DETAILS check: passed when no reason was found."""
    return checks.validation(order_id, CHECK, found, now)
