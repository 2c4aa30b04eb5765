"""The orders processor's rules, without Kafka."""

from __future__ import annotations

from stream_processors.orders import rules
from tests.unit.schemas.samples import SAMPLES

NOW = 1_795_870_800_000  # 2026-11-28T13:00:00Z


def test_total_is_sum_of_quantity_times_unit_price() -> None:
    assert rules.order_total(SAMPLES["OrderPlaced"]["items"]) == 2 * 1250 + 99 + 1000 * 100_000_000


def test_a_new_order_is_created_at_version_1() -> None:
    placed = SAMPLES["OrderPlaced"]
    order = rules.place(None, placed, NOW)
    assert order == {
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
    first = rules.place(None, SAMPLES["OrderPlaced"], NOW)
    again = {**SAMPLES["OrderPlaced"], "currency": "USD"}
    assert rules.place(first, again, NOW) is None
