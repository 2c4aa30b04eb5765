"""The FRAUD check's rules, without Kafka."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.records import Order
from stream_processors.common import checks
from stream_processors.fraud import rules
from tests.unit.stream_processors.records import sample

T = 1_795_870_800_000  # 2026-11-28T13:00:00Z
MINUTE = 60_000
WINDOW = 60 * MINUTE
LIMIT = 200_000


def order(order_id: str, placed_at: int, total_cents: int, **changes: Any) -> Order:
    """A CREATED v1 order of customer c-1 (what the check reads: its id, placed_at and total)."""
    fields = {"order_id": order_id, "customer_id": "c-1", "total_cents": total_cents, "placed_at": placed_at}
    return sample(Order, **{**fields, "state": "CREATED", "version": 1, **changes})


def run(*orders: Order, limit: int = LIMIT) -> tuple[list[bool], list[rules.Entry]]:
    """Check ``orders`` one after the other; their decisions and the entries left."""
    entries: list[rules.Entry] = []
    passed = []
    for o in orders:
        decision = rules.check(entries, o, limit, WINDOW)
        passed.append(decision.passed)
        entries = decision.entries
    return passed, entries


def test_a_single_order_below_the_limit_passes_and_is_remembered() -> None:
    decision = rules.check([], order("o-1", T, 199_999), LIMIT, WINDOW)
    assert decision == rules.Decision(True, [[T, 199_999, "o-1", True]], repeated=False)


@pytest.mark.parametrize(("total", "passed"), [(199_999, True), (200_000, False), (200_001, False)])
def test_a_single_order_at_or_over_the_limit_fails(total: int, passed: bool) -> None:
    assert rules.check([], order("o-1", T, total), LIMIT, WINDOW).passed is passed


@pytest.mark.parametrize(("last", "passed"), [(49_999, True), (50_000, False)])
def test_the_sum_in_the_window_reaching_the_limit_fails(last: int, passed: bool) -> None:
    decisions, _ = run(
        order("o-1", T, 100_000),
        order("o-2", T + MINUTE, 50_000),
        order("o-3", T + 2 * MINUTE, last),
    )
    assert decisions == [True, True, passed]


def test_failed_orders_count_toward_the_sum() -> None:
    decisions, entries = run(
        order("o-1", T, 250_000),
        order("o-2", T + MINUTE, 1),
    )
    assert decisions == [False, False]
    assert entries == [[T, 250_000, "o-1", False], [T + MINUTE, 1, "o-2", False]]


@pytest.mark.parametrize(
    ("age", "counted"),
    [(WINDOW - 1, True), (WINDOW, False), (WINDOW + 1, False)],
)
def test_an_order_placed_60_minutes_or_more_before_drops_out_of_the_window(age: int, counted: bool) -> None:
    decisions, _ = run(order("o-old", T, 150_000), order("o-new", T + age, 50_000))
    assert decisions == [True, not counted]


def test_a_later_placed_order_seen_earlier_is_not_counted() -> None:
    decisions, entries = run(
        order("o-late", T + 10 * MINUTE, 150_000),
        order("o-early", T, 150_000),
    )
    assert decisions == [True, True]
    assert [e[rules.ORDER_ID] for e in entries] == ["o-late", "o-early"]


def test_an_earlier_placed_order_seen_earlier_is_counted_when_in_the_window() -> None:
    decisions, _ = run(order("o-1", T - 59 * MINUTE, 150_000), order("o-2", T, 50_000))
    assert decisions == [True, False]


def test_entries_older_than_the_window_of_the_newest_are_pruned() -> None:
    _, entries = run(
        order("o-1", T, 10),
        order("o-2", T + 30 * MINUTE, 20),
        order("o-3", T + WINDOW, 30),
    )
    assert entries == [[T + 30 * MINUTE, 20, "o-2", True], [T + WINDOW, 30, "o-3", True]]


def test_pruning_keeps_the_newest_order_when_a_late_one_arrives() -> None:
    _, entries = run(order("o-new", T + 2 * WINDOW, 10), order("o-late", T, 20))
    assert entries == [[T + 2 * WINDOW, 10, "o-new", True]]


def test_prune_of_nothing_is_nothing() -> None:
    assert rules.prune([], WINDOW) == []


def test_a_redelivered_order_gets_its_stored_decision_and_changes_nothing() -> None:
    decisions, entries = run(order("o-1", T, 150_000), order("o-2", T + MINUTE, 60_000))
    assert decisions == [True, False]
    again_1 = rules.check(entries, order("o-1", T, 150_000), LIMIT, WINDOW)
    again_2 = rules.check(entries, order("o-2", T + MINUTE, 60_000), LIMIT, WINDOW)
    assert again_1 == rules.Decision(True, entries, repeated=True)
    assert again_2 == rules.Decision(False, entries, repeated=True)


def test_a_redelivered_order_keeps_its_decision_even_if_the_window_changed_since() -> None:
    decisions, entries = run(order("o-1", T, 150_000), order("o-2", T - MINUTE, 60_000))
    assert decisions == [True, True]
    assert rules.window_total(entries, T, WINDOW) == 210_000  # deciding o-1 again would fail it
    assert rules.check(entries, order("o-1", T, 150_000), LIMIT, WINDOW).passed is True


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, True),
        ({"version": 2}, False),
        ({"state": "FAILED", "version": 2}, False),
        ({"state": "VALIDATED"}, False),
    ],
)
def test_only_the_first_record_of_an_order_is_checked(changes: dict[str, Any], expected: bool) -> None:
    assert checks.is_new(order("o-1", T, 1, **changes)) is expected


def test_the_validation_record_names_fraud_limit_when_failed() -> None:
    assert rules.validation("o-1", True, T) == {
        "order_id": "o-1",
        "check": "FRAUD",
        "passed": True,
        "reasons": [],
        "checked_at": T,
    }
    assert rules.validation("o-2", False, T) == {
        "order_id": "o-2",
        "check": "FRAUD",
        "passed": False,
        "reasons": ["FRAUD_LIMIT"],
        "checked_at": T,
    }
