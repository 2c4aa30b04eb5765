"""Analytics rules without Kafka: windows, transitions, sales per sku, counting each order once."""

from __future__ import annotations

from schemas.records import Order, OrderLine, OrderState
from stream_processors.analytics import rules
from tests.unit.stream_processors.records import sample

T = 1_795_870_812_345  # 2026-11-28T13:00:12.345Z


def order(state: OrderState, version: int, items: list[tuple[str, int, int]]) -> Order:
    lines: list[OrderLine] = [{"sku": s, "quantity": q, "unit_price_cents": p} for s, q, p in items]
    return sample(Order, order_id="o-1", state=state, version=version, items=lines, placed_at=T)


def test_window_is_the_minute_of_placed_at() -> None:
    assert rules.window_of(T) == 1_795_870_800_000
    assert rules.window_of(1_795_870_800_000) == 1_795_870_800_000


def test_transitions_only_for_new_versions_that_change_state() -> None:
    assert rules.transition(None, order("CREATED", 1, [])) == (None, "CREATED")
    seen: rules.Seen = {"state": "CREATED", "version": 1}
    assert rules.transition(seen, order("CREATED", 1, [])) is None  # redelivered
    assert rules.transition(seen, order("CREATED", 2, [])) is None  # a payment, same state
    assert rules.transition(seen, order("VALIDATED", 3, [])) == ("CREATED", "VALIDATED")
    assert rules.transition({"state": "PAID", "version": 5}, order("VALIDATED", 3, [])) is None


def test_sales_per_sku_with_lines_of_one_sku_summed() -> None:
    sales = rules.sales(order("VALIDATED", 2, [("a", 2, 100), ("b", 1, 50), ("a", 1, 100)]))
    assert sales == [
        {"order_id": "o-1", "sku": "a", "units": 3, "revenue_cents": 300, "window_start": 1_795_870_800_000},
        {"order_id": "o-1", "sku": "b", "units": 1, "revenue_cents": 50, "window_start": 1_795_870_800_000},
    ]


def test_a_window_counts_each_order_once() -> None:
    sale: rules.Sale = {"order_id": "o-1", "sku": "a", "units": 3, "revenue_cents": 300, "window_start": 0}
    window = rules.add_sale(None, sale)
    assert window == {"orders": 1, "units": 3, "revenue_cents": 300, "order_ids": ["o-1"]}
    assert rules.add_sale(window, sale) is None
    two = rules.add_sale(window, {**sale, "order_id": "o-2", "units": 1, "revenue_cents": 100})
    assert two is not None
    assert rules.sales_window("a", 0, two) == {
        "sku": "a",
        "window_start": 0,
        "window_end": 60_000,
        "orders": 2,
        "units": 4,
        "revenue_cents": 400,
    }
