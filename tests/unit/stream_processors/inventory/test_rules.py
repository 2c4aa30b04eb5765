"""Inventory rules without Kafka: requests per sku, reservations, release, commit, levels, decisions."""

from __future__ import annotations

from schemas.records import Order, OrderLine, OrderState
from stream_processors.inventory import rules
from tests.unit.stream_processors.records import sample

NOW = 1_795_870_800_000


def order(state: OrderState, version: int, items: list[tuple[str, int]]) -> Order:
    lines: list[OrderLine] = [{"sku": sku, "quantity": qty, "unit_price_cents": 100} for sku, qty in items]
    return sample(Order, order_id="o-1", state=state, version=version, items=lines)


def result(sku: str, index: int, ok: bool, reason: str | None) -> rules.LineResult:
    """The answer to the reservation of line ``index`` of order o-1 (of three lines)."""
    line: rules.LineRequest = {
        "op": "reserve",
        "order_id": "o-1",
        "sku": sku,
        "quantity": 1,
        "index": index,
        "n": 3,
    }
    return {**line, "ok": ok, "reason": reason}


def stock(on_hand: int | None, **reserved: int) -> rules.Stock:
    state = rules.empty_stock()
    state["on_hand"] = on_hand
    state["reserved"] = dict(reserved)
    return state


def test_created_order_asks_each_sku_once_with_summed_quantities() -> None:
    requests = rules.line_requests(order("CREATED", 1, [("a", 2), ("b", 1), ("a", 3)]))
    assert [(r["op"], r["sku"], r["quantity"], r["index"], r["n"]) for r in requests] == [
        ("reserve", "a", 5, 0, 2),
        ("reserve", "b", 1, 1, 2),
    ]


def test_later_versions_release_commit_or_ask_nothing() -> None:
    assert {r["op"] for r in rules.line_requests(order("FAILED", 2, [("a", 1)]))} == {"release"}
    assert {r["op"] for r in rules.line_requests(order("CANCELLED", 4, [("a", 1)]))} == {"release"}
    assert {r["op"] for r in rules.line_requests(order("SHIPPED", 5, [("a", 1)]))} == {"commit"}
    later: list[tuple[OrderState, int]] = [("CREATED", 2), ("VALIDATED", 2), ("PAID", 3)]
    for state, version in later:
        assert rules.line_requests(order(state, version, [("a", 1)])) == []


def test_reserve_when_available_and_idempotently() -> None:
    state = stock(5)
    assert rules.reserve(state, "o-1", "a", 5) == (True, None, True)
    assert rules.reserve(state, "o-1", "a", 5) == (True, None, False)
    assert (rules.reserved(state), rules.available(state)) == (5, 0)


def test_out_of_stock_and_unknown_sku_reasons() -> None:
    assert rules.reserve(stock(4, other=1), "o-1", "a", 4) == (False, "OUT_OF_STOCK:a", False)
    assert rules.reserve(stock(None), "o-1", "zz", 1) == (False, "UNKNOWN_SKU:zz", False)


def test_release_frees_units_once_and_blocks_a_late_reserve() -> None:
    state = stock(5, **{"o-1": 3})
    assert rules.release(state, "o-1") == (True, "RELEASED")
    assert rules.release(state, "o-1", closed_as="RELEASED") == (False, None)
    assert rules.available(state) == 5
    assert rules.reserve(state, "o-1", "a", 3, closed_as="RELEASED") == (False, "ALREADY_RELEASED:a", False)


def test_a_release_of_nothing_held_still_closes_the_order() -> None:
    state = stock(5)
    assert rules.release(state, "o-1") == (False, "RELEASED")
    assert rules.available(state) == 5


def test_commit_drops_on_hand_and_reserved_by_the_quantity() -> None:
    state = stock(10, **{"o-1": 3, "o-2": 2})
    assert rules.commit(state, "o-1") == (True, "COMMITTED")
    assert (state["on_hand"], rules.reserved(state), rules.available(state)) == (7, 2, 5)
    assert rules.commit(state, "o-1") == (False, None)
    assert state["on_hand"] == 7
    assert rules.reserve(state, "o-1", "a", 3, closed_as="COMMITTED") == (False, "ALREADY_COMMITTED:a", False)


def test_the_sku_record_does_not_grow_with_closed_orders() -> None:
    state = stock(100)
    for n in range(50):
        rules.reserve(state, f"o-{n}", "a", 1)
        rules.commit(state, f"o-{n}") if n % 2 else rules.release(state, f"o-{n}")
    assert state == {"on_hand": 75, "level_offset": -1, "reserved": {}}


def test_levels_replace_on_hand_in_offset_order_and_keep_reservations() -> None:
    state = stock(10, **{"o-1": 8})
    assert rules.set_level(state, 3, offset=4) is True
    assert rules.set_level(state, 50, offset=4) is False  # the same record again
    assert rules.set_level(state, 50, offset=2) is False  # older
    assert (state["on_hand"], rules.reserved(state), rules.available(state)) == (3, 8, -5)


def test_view_record() -> None:
    assert rules.view("a", stock(10, **{"o-1": 4}), NOW) == {
        "sku": "a",
        "on_hand": 10,
        "reserved": 4,
        "available": 6,
        "updated_at": NOW,
    }


def test_decision_waits_for_every_line_and_lists_reasons_in_line_order() -> None:
    one = {"b": result("b", 1, False, "OUT_OF_STOCK:b")}
    assert rules.decide(one, 3) is None
    results = {**one, "c": result("c", 2, False, "UNKNOWN_SKU:c"), "a": result("a", 0, True, None)}
    assert rules.decide(results, 3) == (False, ["OUT_OF_STOCK:b", "UNKNOWN_SKU:c"])
    assert rules.decide({"a": result("a", 0, True, None)}, 1) == (True, [])


def test_a_sku_knows_the_orders_it_holds_or_has_closed() -> None:
    state = stock(10)
    assert rules.knows(state, "o-1", None) is False
    rules.reserve(state, "o-1", "a", 2)
    assert rules.knows(state, "o-1", None) is True
    _, closing = rules.commit(state, "o-1")
    assert rules.knows(state, "o-1", closing) is True
    assert rules.knows(state, "o-2", "RELEASED") is True  # never reserved here, but closed for good
    assert rules.knows(state, "o-3", None) is False


def test_a_failed_order_releases_every_reserved_line_and_a_passed_one_nothing() -> None:
    results = {
        "c": result("c", 2, True, None),
        "b": result("b", 1, False, "OUT_OF_STOCK:b"),
        "a": result("a", 0, True, None),
    }
    assert rules.releases(results, passed=False) == [
        {**results["a"], "op": "release"},
        {**results["c"], "op": "release"},
    ]
    assert rules.releases({"a": results["a"]}, passed=True) == []


def test_a_refusal_for_stock_waits_for_the_levels_then_takes_the_latest() -> None:
    request: rules.LineRequest = {
        "op": "reserve",
        "order_id": "o-1",
        "sku": "a",
        "quantity": 3,
        "index": 0,
        "n": 1,
    }
    unknown = rules.empty_stock()
    assert rules.reserve_with_level(unknown, request, None, None, caught_up=False) is None
    # caught up: the level PUT before the order is applied, and the line decided again
    assert rules.reserve_with_level(unknown, request, None, (5, 7), caught_up=True) == (True, None, True)
    assert (unknown["on_hand"], unknown["level_offset"], unknown["reserved"]) == (5, 7, {"o-1": 3})
    short = stock(2)
    short["level_offset"] = 7
    # caught up, no newer level: refused as it stands
    assert rules.reserve_with_level(short, request, None, (5, 7), caught_up=True) == (
        False,
        "OUT_OF_STOCK:a",
        False,
    )
    # a refusal no level can undo never waits
    assert rules.reserve_with_level(stock(9), request, "RELEASED", None, caught_up=False) == (
        False,
        "ALREADY_RELEASED:a",
        False,
    )
