"""The notifications processor's rules, without Kafka: which versions are worth which e-mail."""

from __future__ import annotations

import pytest

from schemas import store
from schemas.records import Order, OrderLine, OrderRejection, OrderState, RejectedRequest
from schemas.serde import AvroSerde, SingleObjectFraming
from stream_processors.notifications import rules

T0 = 1_795_867_200_000  # 2026-11-28T12:00:00Z
LINES: list[OrderLine] = [{"sku": "sku-1", "quantity": 2, "unit_price_cents": 1250}]


def version(n: int, state: OrderState, paid_cents: int = 0, reasons: list[str] | None = None) -> Order:
    """Version ``n`` of order o-1 (total 25.00 EUR), updated at T0 + n seconds."""
    return {
        "order_id": "o-1",
        "customer_id": "c-1",
        "currency": "EUR",
        "items": LINES,
        "total_cents": 2500,
        "paid_cents": paid_cents,
        "state": state,
        "reasons": reasons or [],
        "version": n,
        "placed_at": T0,
        "updated_at": T0 + n * 1000,
        "validated_at": None,
        "payment_ids": [],
    }


def seen(n: int, state: OrderState, paid_cents: int = 0) -> rules.Seen:
    """What the processor remembers after handling version ``n``."""
    return {"version": n, "paid_cents": paid_cents, "state": state}


def refused(
    rejection_id: str = "a-1", request: RejectedRequest = "SHIP", state: str = "VALIDATED"
) -> OrderRejection:
    """An ``OrderRejection`` of order o-1."""
    return {
        "rejection_id": rejection_id,
        "order_id": "o-1",
        "customer_id": "c-1",
        "request": request,
        "reason": f"{request}_NOT_ALLOWED_IN_{state}",
        "state": state,
        "rejected_at": T0 + 99,
    }


def ids(decision: rules.Decision) -> list[str]:
    return [d.notification_id for d in decision.drafts]


def test_a_created_order_is_worth_nothing_but_is_remembered() -> None:
    assert rules.on_order(version(1, "CREATED"), None) == rules.Decision([], seen(1, "CREATED"))


def test_validated_confirms_the_order() -> None:
    decision = rules.on_order(version(2, "VALIDATED"), seen(1, "CREATED"))
    assert decision == rules.Decision(
        [
            rules.Draft(
                notification_id="o-1:2:ORDER_CONFIRMED",
                customer_id="c-1",
                order_id="o-1",
                kind="ORDER_CONFIRMED",
                text="Your order o-1 is confirmed. Total: 25.00 EUR.",
                created_at=T0 + 2000,
            )
        ],
        seen(2, "VALIDATED"),
    )


def test_failed_names_every_reason() -> None:
    failed = version(2, "FAILED", reasons=["OUT_OF_STOCK:sku-1", "UNKNOWN_SKU:sku-9"])
    [draft] = rules.on_order(failed, seen(1, "CREATED")).drafts
    assert (draft.notification_id, draft.kind) == ("o-1:2:ORDER_FAILED", "ORDER_FAILED")
    assert draft.text == "Your order o-1 could not be accepted: OUT_OF_STOCK:sku-1, UNKNOWN_SKU:sku-9."


def test_failed_without_reasons_says_so() -> None:
    [draft] = rules.on_order(version(2, "FAILED"), seen(1, "CREATED")).drafts
    assert draft.text == "Your order o-1 could not be accepted: no reason given."


def test_a_partial_payment_is_received_and_does_not_confirm_again() -> None:
    decision = rules.on_order(version(3, "VALIDATED", paid_cents=1000), seen(2, "VALIDATED"))
    [draft] = decision.drafts
    assert (draft.notification_id, draft.kind) == ("o-1:3:PAYMENT_RECEIVED", "PAYMENT_RECEIVED")
    assert draft.text == "We received 10.00 EUR for your order o-1: 10.00 EUR of 25.00 EUR paid."
    assert decision.seen == seen(3, "VALIDATED", 1000)


def test_the_payment_that_makes_it_paid_is_received_in_full() -> None:
    decision = rules.on_order(version(4, "PAID", paid_cents=2500), seen(3, "VALIDATED", 1000))
    [draft] = decision.drafts
    assert (draft.notification_id, draft.kind) == ("o-1:4:PAYMENT_RECEIVED", "PAYMENT_RECEIVED")
    assert draft.text == (
        "We received 15.00 EUR for your order o-1: 25.00 EUR of 25.00 EUR paid. Your order is paid in full."
    )


def test_a_payment_before_validation_is_received_and_paid_without_a_payment_is_worth_nothing() -> None:
    early = rules.on_order(version(2, "CREATED", paid_cents=2500), seen(1, "CREATED"))
    assert ids(early) == ["o-1:2:PAYMENT_RECEIVED"]
    assert early.seen is not None
    confirmed = rules.on_order(version(3, "VALIDATED", paid_cents=2500), early.seen)
    assert ids(confirmed) == ["o-1:3:ORDER_CONFIRMED"]
    assert confirmed.seen is not None
    paid = rules.on_order(version(4, "PAID", paid_cents=2500), confirmed.seen)
    assert paid == rules.Decision([], seen(4, "PAID", 2500))


def test_overpaying_a_paid_order_is_received() -> None:
    decision = rules.on_order(version(5, "PAID", paid_cents=2600), seen(4, "PAID", 2500))
    assert ids(decision) == ["o-1:5:PAYMENT_RECEIVED"]
    assert decision.drafts[0].text.startswith("We received 1.00 EUR for your order o-1: 26.00 EUR of")


@pytest.mark.parametrize(
    ("state", "kind", "text"),
    [
        ("SHIPPED", "ORDER_SHIPPED", "Your order o-1 has shipped."),
        ("CANCELLED", "ORDER_CANCELLED", "Your order o-1 has been cancelled."),
    ],
)
def test_shipped_and_cancelled(state: OrderState, kind: str, text: str) -> None:
    [draft] = rules.on_order(version(5, state, paid_cents=2500), seen(4, "PAID", 2500)).drafts
    assert (draft.notification_id, draft.kind, draft.text) == (f"o-1:5:{kind}", kind, text)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_a_redelivered_version_is_worth_nothing(n: int) -> None:
    assert rules.on_order(version(n, "VALIDATED", paid_cents=2500), seen(3, "CREATED")) == rules.Decision()


def test_a_version_gap_compares_with_the_last_version_handled() -> None:
    decision = rules.on_order(version(6, "SHIPPED", paid_cents=2500), seen(2, "VALIDATED"))
    assert ids(decision) == ["o-1:6:PAYMENT_RECEIVED", "o-1:6:ORDER_SHIPPED"]


def test_an_order_first_seen_late_is_notified_as_it_stands() -> None:
    decision = rules.on_order(version(4, "PAID", paid_cents=2500), None)
    assert ids(decision) == ["o-1:4:PAYMENT_RECEIVED"]


def test_a_whole_life_in_order_gives_deterministic_ids() -> None:
    lives = []
    for _ in range(2):
        memory: rules.Seen | None = None
        found: list[str] = []
        life = [version(1, "CREATED"), version(2, "VALIDATED"), version(3, "PAID", 2500)]
        for record in [*life, version(2, "VALIDATED"), version(4, "SHIPPED", 2500)]:
            decision = rules.on_order(record, memory)
            found += ids(decision)
            memory = decision.seen or memory
        lives.append(found)
    assert lives[0] == lives[1] == ["o-1:2:ORDER_CONFIRMED", "o-1:3:PAYMENT_RECEIVED", "o-1:4:ORDER_SHIPPED"]


@pytest.mark.parametrize(
    ("request_kind", "words"),
    [("PAYMENT", "payment"), ("CANCEL", "request to cancel"), ("SHIP", "request to ship")],
)
def test_a_rejection_names_request_reason_and_state(request_kind: RejectedRequest, words: str) -> None:
    decision = rules.on_rejection(refused("p-7", request_kind, "SHIPPED"), seen(5, "SHIPPED"))
    assert decision.drafts == [
        rules.Draft(
            notification_id="o-1:rejected:p-7",
            customer_id="c-1",
            order_id="o-1",
            kind="ACTION_REJECTED",
            text=f"Your {words} for order o-1 was refused: {request_kind}_NOT_ALLOWED_IN_SHIPPED "
            "(the order is SHIPPED).",
            created_at=T0 + 99,
        )
    ]
    assert decision.seen == {**seen(5, "SHIPPED"), "rejections": ["p-7"]}


def test_a_repeated_rejection_is_worth_nothing_and_another_one_is_notified() -> None:
    first = rules.on_rejection(refused("a-1"), None)
    assert first.seen == {"rejections": ["a-1"]}
    assert rules.on_rejection(refused("a-1"), first.seen) == rules.Decision()
    second = rules.on_rejection(refused("a-2"), first.seen)
    assert ids(second) == ["o-1:rejected:a-2"]
    assert second.seen == {"rejections": ["a-1", "a-2"]}


def test_rejections_remembered_survive_later_versions() -> None:
    decision = rules.on_order(version(2, "VALIDATED"), {"rejections": ["a-1"]})
    assert ids(decision) == ["o-1:2:ORDER_CONFIRMED"]
    assert decision.seen == {**seen(2, "VALIDATED"), "rejections": ["a-1"]}


def test_an_addressed_draft_is_a_valid_notification_record() -> None:
    [draft] = rules.on_order(version(2, "VALIDATED"), seen(1, "CREATED")).drafts
    record = draft.addressed("ann@example.com")
    assert record == {
        "notification_id": "o-1:2:ORDER_CONFIRMED",
        "customer_id": "c-1",
        "email": "ann@example.com",
        "order_id": "o-1",
        "kind": "ORDER_CONFIRMED",
        "text": "Your order o-1 is confirmed. Total: 25.00 EUR.",
        "created_at": T0 + 2000,
    }
    serde = AvroSerde("notifications", store.load("Notification"), SingleObjectFraming())
    assert serde.decode(serde.encode(record)) == record
