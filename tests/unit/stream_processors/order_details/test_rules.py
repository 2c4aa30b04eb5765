"""The DETAILS check's rules, without Kafka."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.records import Customer, Order, OrderLine
from stream_processors.common import checks
from stream_processors.order_details import rules
from tests.unit.stream_processors.records import sample

NOW = 1_795_870_800_000  # 2026-11-28T13:00:00Z
CUSTOMER = sample(Customer)


def order(*skus: str, total_cents: int = 1000, **changes: Any) -> Order:
    """A CREATED v1 order of ``skus`` (one unit each) worth ``total_cents``."""
    items: list[OrderLine] = [
        {"sku": sku, "quantity": 1, "unit_price_cents": 1} for sku in skus or ("sku-1",)
    ]
    fields = {"state": "CREATED", "version": 1, "reasons": [], "items": items, "total_cents": total_cents}
    return sample(Order, **{**fields, **changes})


def test_a_known_unblocked_customer_with_distinct_skus_and_a_small_total_passes() -> None:
    assert rules.reasons(order("a", "b", "c"), CUSTOMER) == []


def test_an_unknown_customer_fails() -> None:
    assert rules.reasons(order(), None) == ["UNKNOWN_CUSTOMER"]


def test_a_blocked_customer_fails() -> None:
    assert rules.reasons(order(), {**CUSTOMER, "blocked": True}) == ["CUSTOMER_BLOCKED"]


def test_a_customer_without_the_blocked_field_is_not_blocked() -> None:
    customer = CUSTOMER.copy()
    del customer["blocked"]
    assert rules.reasons(order(), customer) == []


def test_each_duplicated_sku_is_listed_once_in_order_of_first_appearance() -> None:
    items = ("b", "a", "c", "a", "b", "a", "d")
    assert rules.reasons(order(*items), CUSTOMER) == ["DUPLICATE_SKU:b", "DUPLICATE_SKU:a"]


@pytest.mark.parametrize(
    ("total", "expected"),
    [(99_999_999, []), (100_000_000, []), (100_000_001, ["TOTAL_TOO_LARGE"])],
)
def test_a_total_above_100_million_cents_fails(total: int, expected: list[str]) -> None:
    assert rules.reasons(order(total_cents=total), CUSTOMER) == expected


def test_every_reason_is_listed_customer_first_then_skus_then_total() -> None:
    found = rules.reasons(order("x", "x", "y", "y", total_cents=100_000_001), {**CUSTOMER, "blocked": True})
    assert found == ["CUSTOMER_BLOCKED", "DUPLICATE_SKU:x", "DUPLICATE_SKU:y", "TOTAL_TOO_LARGE"]
    assert rules.reasons(order("x", "x"), None) == ["UNKNOWN_CUSTOMER", "DUPLICATE_SKU:x"]


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ([], False),
        (["DUPLICATE_SKU:x", "TOTAL_TOO_LARGE"], False),
        (["UNKNOWN_CUSTOMER"], True),
        (["CUSTOMER_BLOCKED", "TOTAL_TOO_LARGE"], True),
    ],
)
def test_only_customer_reasons_need_the_customers_read_up_to_their_end(
    found: list[str], expected: bool
) -> None:
    assert rules.needs_reference(found) is expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"state": "CREATED", "version": 1}, True),
        ({"state": "CREATED", "version": 2}, False),
        ({"state": "FAILED", "version": 1}, False),
        ({"state": "VALIDATED", "version": 2}, False),
    ],
)
def test_only_the_first_record_of_an_order_is_checked(changes: dict[str, Any], expected: bool) -> None:
    assert checks.is_new(order(**changes)) is expected


def test_the_validation_record_passes_only_without_reasons() -> None:
    assert rules.validation("o-1", [], NOW) == {
        "order_id": "o-1",
        "check": "DETAILS",
        "passed": True,
        "reasons": [],
        "checked_at": NOW,
    }
    assert rules.validation("o-2", ["UNKNOWN_CUSTOMER", "TOTAL_TOO_LARGE"], NOW) == {
        "order_id": "o-2",
        "check": "DETAILS",
        "passed": False,
        "reasons": ["UNKNOWN_CUSTOMER", "TOTAL_TOO_LARGE"],
        "checked_at": NOW,
    }
