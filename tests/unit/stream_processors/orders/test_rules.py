"""The orders processor's rules, without Kafka: every transition, refusal and reason string."""

from __future__ import annotations

import pytest

from schemas.records import CheckKind, Order, OrderLine, OrderPlaced, OrderState, OrderValidation, Payment
from stream_processors.orders import rules
from tests.unit.schemas.samples import SAMPLES
from tests.unit.stream_processors.records import sample

NOW = 1_795_870_800_000  # 2026-11-28T13:00:00Z
LATER = NOW + 1000


def created(total_lines: list[OrderLine] | None = None) -> Order:
    placed = sample(OrderPlaced, items=total_lines or [{"sku": "a", "quantity": 2, "unit_price_cents": 500}])
    order = rules.place(None, placed, NOW)
    assert order is not None
    return order


def check(name: CheckKind, passed: bool = True, reasons: list[str] | None = None) -> OrderValidation:
    return {"order_id": "o-1", "check": name, "passed": passed, "reasons": reasons or [], "checked_at": NOW}


def payment(payment_id: str, amount: int, currency: str = "EUR") -> Payment:
    return sample(Payment, payment_id=payment_id, order_id="o-1", amount_cents=amount, currency=currency)


def in_state(state: OrderState, paid_cents: int = 0) -> Order:
    return {**created(), "state": state, "paid_cents": paid_cents}


def test_total_is_sum_of_quantity_times_unit_price() -> None:
    assert rules.order_total(SAMPLES["OrderPlaced"]["items"]) == 2 * 1250 + 99 + 1000 * 100_000_000


def test_a_new_order_is_created_at_version_1() -> None:
    placed = sample(OrderPlaced)
    assert rules.place(None, placed, NOW) == {
        "order_id": "o-1",
        "customer_id": "c-1",
        "currency": "EUR",
        "items": placed["items"],
        "total_cents": 100_000_002_599,
        "paid_cents": 0,
        "state": "CREATED",
        "reasons": [],
        "version": 1,
        "placed_at": placed["placed_at"],
        "updated_at": NOW,
        "validated_at": None,
        "payment_ids": [],
    }


def test_a_repeated_order_id_is_ignored() -> None:
    assert rules.place(created(), sample(OrderPlaced, currency="USD"), NOW) is None


def test_validated_once_all_three_checks_passed_counted_per_check() -> None:
    order, passed = created(), set[CheckKind]()
    assert rules.validate(order, passed, check("DETAILS"), LATER).versions == []
    assert rules.validate(order, passed, check("DETAILS"), LATER).versions == []  # repeated: nothing
    assert rules.validate(order, passed, check("FRAUD"), LATER).versions == []
    [validated] = rules.validate(order, passed, check("INVENTORY"), LATER).versions
    assert (validated["state"], validated["version"], validated["validated_at"]) == ("VALIDATED", 2, LATER)


def test_first_failing_check_decides_with_its_reasons() -> None:
    order, passed = created(), set[CheckKind]({"DETAILS"})
    [failed] = rules.validate(order, passed, check("INVENTORY", False, ["OUT_OF_STOCK:a"]), LATER).versions
    assert (failed["state"], failed["reasons"], failed["version"]) == ("FAILED", ["OUT_OF_STOCK:a"], 2)


@pytest.mark.parametrize("state", ["FAILED", "VALIDATED", "PAID", "SHIPPED", "CANCELLED"])
def test_decided_orders_ignore_later_results(state: OrderState) -> None:
    order = in_state(state)
    assert rules.validate(order, set(), check("FRAUD", False, ["FRAUD_LIMIT"]), LATER) == rules.Outcome()
    assert rules.validate(order, {"DETAILS", "INVENTORY"}, check("FRAUD"), LATER) == rules.Outcome()


def test_paid_before_validation_goes_validated_then_paid_in_records_of_their_own() -> None:
    order = created()
    [paid] = rules.pay(order, payment("p-1", 1000), NOW).versions
    assert (paid["state"], paid["paid_cents"], paid["version"], paid["payment_ids"]) == (
        "CREATED",
        1000,
        2,
        ["p-1"],
    )
    validated, paid_state = rules.validate(paid, {"DETAILS", "FRAUD"}, check("INVENTORY"), LATER).versions
    assert [(v["state"], v["version"]) for v in (validated, paid_state)] == [("VALIDATED", 3), ("PAID", 4)]


def test_split_payments_make_it_paid_when_the_total_is_reached() -> None:
    order = in_state("VALIDATED")
    [first] = rules.pay(order, payment("p-1", 400), NOW).versions
    assert (first["state"], first["paid_cents"]) == ("VALIDATED", 400)
    [second] = rules.pay(first, payment("p-2", 600), NOW).versions
    assert (second["state"], second["paid_cents"], second["version"]) == ("PAID", 1000, first["version"] + 1)


def test_a_payment_id_counts_once() -> None:
    [paid] = rules.pay(created(), payment("p-1", 300), NOW).versions
    assert rules.pay(paid, payment("p-1", 300), NOW) == rules.Outcome()


def test_a_payment_in_another_currency_is_refused() -> None:
    outcome = rules.pay(created(), payment("p-1", 1000, "USD"), NOW)
    assert outcome == rules.Outcome(rejection="CURRENCY_MISMATCH:USD")


@pytest.mark.parametrize("state", ["FAILED", "SHIPPED", "CANCELLED"])
def test_payments_are_refused_outside_created_validated_paid(state: OrderState) -> None:
    assert rules.pay(in_state(state), payment("p-1", 1), NOW) == rules.Outcome(
        rejection=f"PAYMENT_NOT_ACCEPTED_IN_{state}"
    )


def test_overpaying_a_paid_order_is_counted() -> None:
    [more] = rules.pay(in_state("PAID", paid_cents=1000), payment("p-9", 5), NOW).versions
    assert (more["state"], more["paid_cents"]) == ("PAID", 1005)


@pytest.mark.parametrize("state", ["CREATED", "VALIDATED", "PAID"])
def test_cancel_is_accepted_before_shipping(state: OrderState) -> None:
    [cancelled] = rules.act(in_state(state), "CANCEL", NOW).versions
    assert (cancelled["state"], cancelled["version"]) == ("CANCELLED", 2)


@pytest.mark.parametrize("state", ["FAILED", "SHIPPED", "CANCELLED"])
def test_cancel_is_refused_otherwise(state: OrderState) -> None:
    assert rules.act(in_state(state), "CANCEL", NOW) == rules.Outcome(
        rejection=f"CANCEL_NOT_ALLOWED_IN_{state}"
    )


def test_ship_only_when_paid() -> None:
    [shipped] = rules.act(in_state("PAID"), "SHIP", NOW).versions
    assert shipped["state"] == "SHIPPED"
    for state in ("CREATED", "VALIDATED", "FAILED", "SHIPPED", "CANCELLED"):
        assert rules.act(in_state(state), "SHIP", NOW) == rules.Outcome(
            rejection=f"SHIP_NOT_ALLOWED_IN_{state}"
        )


def test_validation_time_out_fails_only_created_orders() -> None:
    [failed] = rules.time_out(created(), now=LATER).versions
    assert (failed["state"], failed["reasons"], failed["version"]) == ("FAILED", ["VALIDATION_TIMEOUT"], 2)
    assert rules.time_out(in_state("VALIDATED"), now=LATER + 1) == rules.Outcome()


TIMEOUT = 30_000


def progress(started: int, *answers: tuple[int, int]) -> dict[CheckKind, rules.CheckProgress]:
    """DETAILS with ``answers`` (placed_at, when); the other checks never matter here."""
    details = rules.CheckProgress(started_ms=started)
    for placed_at, when in answers:
        details.answered(placed_at, when)
    return {check: rules.CheckProgress(started_ms=NOW) for check in rules.CHECKS} | {"DETAILS": details}


def test_a_check_working_through_earlier_orders_is_late_not_lost() -> None:
    # created and placed at NOW; DETAILS answers orders placed before it for 5 minutes
    answers = [(NOW - 1000 + i, NOW + i * 1000) for i in range(300)]
    late = rules.overdue(NOW, NOW, {"DETAILS"}, progress(NOW, *answers), NOW + 300_000, TIMEOUT)
    assert late == []


def test_a_check_that_answers_nothing_is_overdue_after_the_time_out() -> None:
    seen = progress(NOW - 5000)
    assert rules.overdue(NOW, NOW, {"DETAILS"}, seen, NOW + TIMEOUT - 1, TIMEOUT) == []
    assert rules.overdue(NOW, NOW, {"DETAILS"}, seen, NOW + TIMEOUT, TIMEOUT) == ["DETAILS"]


def test_a_restarted_processor_gives_each_check_a_full_time_out() -> None:
    seen = progress(NOW + 60_000)  # watching only since a minute after the order was created
    assert rules.overdue(NOW, NOW, {"DETAILS"}, seen, NOW + 60_000 + TIMEOUT - 1, TIMEOUT) == []
    assert rules.overdue(NOW, NOW, {"DETAILS"}, seen, NOW + 60_000 + TIMEOUT, TIMEOUT) == ["DETAILS"]


def test_a_check_that_stopped_answering_is_overdue_a_time_out_after_its_last_answer() -> None:
    seen = progress(NOW, (NOW - 5, NOW + 40_000))  # busy with an earlier order until NOW + 40 s
    assert rules.overdue(NOW, NOW, {"DETAILS"}, seen, NOW + 40_000 + TIMEOUT - 1, TIMEOUT) == []
    assert rules.overdue(NOW, NOW, {"DETAILS"}, seen, NOW + 40_000 + TIMEOUT, TIMEOUT) == ["DETAILS"]


def test_a_check_answering_only_later_orders_is_overdue_a_time_out_after_its_last_earlier_answer() -> None:
    # from NOW + 1 s it keeps answering, but only orders placed after this one
    answers = [(NOW - 1, NOW + 1000), *((NOW + 1 + i, NOW + 1000 + i * 100) for i in range(1000))]
    seen = progress(NOW, *answers)
    assert rules.overdue(NOW, NOW, {"DETAILS"}, seen, NOW + 1000 + TIMEOUT - 1, TIMEOUT) == []
    assert rules.overdue(NOW, NOW, {"DETAILS"}, seen, NOW + 1000 + TIMEOUT, TIMEOUT) == ["DETAILS"]


def test_answers_out_of_order_keep_the_clock_of_every_later_order_running_again() -> None:
    # inventory answers per sku partition: an earlier order may be answered after later ones
    seen = progress(NOW, (NOW + 50, NOW + 1000), (NOW + 10, NOW + 20_000))["DETAILS"]
    assert seen.last_answer_up_to(NOW + 9) is None
    assert seen.last_answer_up_to(NOW + 10) == NOW + 20_000
    assert seen.last_answer_up_to(NOW + 60) == NOW + 20_000  # the later answer hides the earlier one
    late = rules.overdue(
        NOW, NOW + 40, {"DETAILS"}, progress(NOW, (NOW + 10, NOW + 20_000)), NOW + 49_999, TIMEOUT
    )
    assert late == []


def test_progress_forgets_steps_no_undecided_order_needs() -> None:
    seen = rules.CheckProgress(started_ms=NOW)
    for placed_at in (10, 20, 30, 40):
        seen.answered(placed_at, NOW + placed_at)
    assert seen.steps == [(10, NOW + 10), (20, NOW + 20), (30, NOW + 30), (40, NOW + 40)]
    seen.forget_before(25)
    assert seen.steps == [(20, NOW + 20), (30, NOW + 30), (40, NOW + 40)]
    assert seen.last_answer_up_to(25) == NOW + 20
    assert seen.last_answer_up_to(19) is None


def held(at: int, offset: int) -> rules.Held:
    """The payment at ``offset`` of payments' partition 0, held since ``at``."""
    record = payment(f"p-{offset}", 1)
    return {
        "spec": "payments",
        "record": record,
        "held_at": at,
        "source": ("payments", 0, offset),
        "value": "",
    }


def test_held_requests_expire_one_by_one_after_the_hold_time() -> None:
    entries = rules.hold(rules.hold(None, held(NOW, 1)), held(NOW + 5000, 2))
    assert rules.split_expired(entries, NOW + 9999, 10_000) == (entries, [])
    assert rules.split_expired(entries, NOW + 10_000, 10_000) == ([entries[1]], [entries[0]])
    assert rules.split_expired(entries, NOW + 15_000, 10_000) == ([], entries)


def test_rejection_record_names_request_reason_and_state() -> None:
    record = rules.rejection(
        in_state("VALIDATED"), "a-1", "o-1", "SHIP", "SHIP_NOT_ALLOWED_IN_VALIDATED", NOW
    )
    assert record == {
        "rejection_id": "a-1",
        "order_id": "o-1",
        "customer_id": "c-1",
        "request": "SHIP",
        "reason": "SHIP_NOT_ALLOWED_IN_VALIDATED",
        "state": "VALIDATED",
        "rejected_at": NOW,
    }
