"""The orders read model: newest version wins, and long-poll waiters never miss an update."""

from __future__ import annotations

import asyncio
from typing import cast

from consumers.query_api.projections.orders import FAILURES_KEPT, OrderViews
from schemas.records import Order, OrderState
from tests.unit.schemas.samples import SAMPLES

SAMPLE = cast(Order, SAMPLES["Order"])


def order(version: int, state: OrderState) -> Order:
    return {**SAMPLE, "version": version, "state": state, "reasons": []}


def test_view_has_iso_timestamps() -> None:
    views = OrderViews()
    views.apply("o-1", order(1, "CREATED"))
    view = views.get("o-1")
    assert view is not None
    assert view["placed_at"] == "2026-11-28T12:00:00.123+00:00"


def test_older_or_repeated_versions_change_nothing() -> None:
    views = OrderViews()
    views.apply("o-1", order(2, "VALIDATED"))
    views.apply("o-1", order(1, "CREATED"))
    views.apply("o-1", {**order(2, "FAILED")})
    view = views.get("o-1")
    assert view is not None
    assert (view["version"], view["state"]) == (2, "VALIDATED")


async def test_already_in_state_answers_at_once() -> None:
    views = OrderViews()
    views.apply("o-1", order(1, "CREATED"))
    view = await views.wait_for("o-1", {"CREATED"}, timeout_s=0)
    assert view is not None
    assert view["state"] == "CREATED"


async def test_unknown_order_times_out_with_none() -> None:
    assert await OrderViews().wait_for("nope", {"CREATED"}, timeout_s=0.05) is None


async def test_time_out_returns_the_current_view() -> None:
    views = OrderViews()
    views.apply("o-1", order(1, "CREATED"))
    view = await views.wait_for("o-1", {"SHIPPED"}, timeout_s=0.05)
    assert view is not None
    assert view["state"] == "CREATED"


async def test_many_waiters_are_all_woken_by_one_update() -> None:
    views = OrderViews()
    waiters = [asyncio.create_task(views.wait_for("o-1", {"VALIDATED", "FAILED"}, 5)) for _ in range(100)]
    await asyncio.sleep(0)
    views.apply("o-1", order(1, "CREATED"))
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    views.apply("o-1", order(2, "VALIDATED"))
    results = await asyncio.gather(*waiters)
    assert [r["state"] for r in results if r] == ["VALIDATED"] * 100
    assert views._waiters == {}


async def test_update_between_check_and_wait_is_not_missed() -> None:
    views = OrderViews()
    waiter = asyncio.create_task(views.wait_for("o-1", {"CREATED"}, 5))
    views.apply("o-1", order(1, "CREATED"))  # lands before the waiter task first runs
    result = await asyncio.wait_for(waiter, 1)
    assert result is not None
    assert result["state"] == "CREATED"


def test_customer_pages_are_newest_first_and_cover_every_order_once() -> None:
    views = OrderViews()
    for i in range(7):
        views.apply(f"o-{i}", {**order(1, "CREATED"), "order_id": f"o-{i}", "placed_at": 1000 + i % 3})
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page, after = views.customer_page("c-1", 3, after)
        seen += [v["order_id"] for v in page]
        pages += 1
        if after is None:
            break
    assert seen == ["o-5", "o-2", "o-4", "o-1", "o-6", "o-3", "o-0"]
    assert pages == 3
    assert views.customer_page("nobody", 3, None) == ([], None)


def test_a_new_version_does_not_repeat_the_order_in_its_customers_list() -> None:
    views = OrderViews()
    views.apply("o-1", order(1, "CREATED"))
    views.apply("o-1", order(2, "VALIDATED"))
    page, after = views.customer_page("c-1", 10, None)
    assert [(v["order_id"], v["state"]) for v in page] == [("o-1", "VALIDATED")]
    assert after is None


def failed(order_id: str, version: int, updated_at: int, currency: str = "EUR") -> Order:
    return {
        **SAMPLE,
        "order_id": order_id,
        "version": version,
        "state": "FAILED",
        "reasons": ["OUT_OF_STOCK:sku-1"],
        "updated_at": updated_at,
        "currency": currency,
    }


def test_latest_failures_newest_first_once_each_and_bounded() -> None:
    views = OrderViews()
    views.apply("a", failed("a", 2, 1_000))
    views.apply("b", failed("b", 2, 3_000))
    views.apply("c", {**order(1, "CREATED"), "order_id": "c"})
    views.apply("a", failed("a", 3, 5_000))  # a later version of a failed order is not a second failure
    assert [v["order_id"] for v in views.latest_failures(10)] == ["b", "a"]
    assert [v["order_id"] for v in views.latest_failures(1)] == ["b"]
    assert views.latest_failures(10)[1]["version"] == 3
    for n in range(FAILURES_KEPT + 5):
        views.apply(f"x{n}", failed(f"x{n}", 2, 10_000 + n))
    kept = views.latest_failures(1000)
    assert len(kept) == FAILURES_KEPT
    assert kept[0]["order_id"] == f"x{FAILURES_KEPT + 4}"
    assert kept[-1]["order_id"] == "x5"


def test_revenue_per_currency_counts_each_validated_order_once() -> None:
    views = OrderViews()
    base: Order = {**order(2, "VALIDATED"), "validated_at": 120_500, "placed_at": 120_000}
    views.apply("e1", {**base, "order_id": "e1", "currency": "EUR", "total_cents": 500})
    views.apply("e1", {**base, "order_id": "e1", "currency": "EUR", "total_cents": 500, "version": 3})
    views.apply("u1", {**base, "order_id": "u1", "currency": "USD", "total_cents": 250})
    views.apply("old", {**base, "order_id": "old", "currency": "USD", "total_cents": 9, "placed_at": 1_000})
    assert views.revenue_per_currency(120_000) == {"EUR": 500, "USD": 250}
    assert views.revenue_per_currency(0) == {"EUR": 500, "USD": 259}
