"""Statistics for dashboards: orders per state, and sales per minute with totals and top skus."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from consumers.query_api import deps
from consumers.query_api.lag import LagUnavailableError
from consumers.query_api.models import MinuteSales, OrderStats, Sales, SalesMinute, SalesStats, SkuSales
from consumers.query_api.projections.orders import OrderViews
from consumers.query_api.projections.stats import SalesWindows, StateCounts
from infra.lag import LagByTopic, lag_by_topic
from schemas.clock import iso, now_ms

router = APIRouter(prefix="/v1/stats", tags=["stats"])
MINUTE_MS = 60_000
TOP_SKUS = 5


@router.get("/orders")
async def order_stats(request: Request) -> OrderStats:
    """How many orders are in each state now."""
    return orders_per_state(deps.state_counts(request))


@router.get("/sales")
async def sales_stats(request: Request, minutes: Annotated[int, Query(ge=1, le=1440)] = 60) -> SalesStats:
    """Per-minute sales of validated orders (by placed_at) over the last ``minutes``, totals and top skus.

    ``revenue_by_currency`` splits the revenue of those orders by their currency; the per-sku figures
    come from ``sales-per-minute``, which carries no currency (they are sums of minor units).
    """
    return sales_summary(deps.sales(request), deps.orders(request), minutes)


@router.get("/lag", responses={503: {"description": "Kafka did not answer"}})
async def lag_stats(request: Request) -> LagByTopic:
    """Each processor's consumer group: its lag per input topic (end minus committed offsets) and in all.

    ``{"total", "groups": [{"group", "processor", "lag", "topics": [{"topic", "lag"}]}]}``, read from
    Kafka at most every ``QUERY_LAG_INTERVAL_S``; ``lag`` is null for a group that committed nothing.
    """
    try:
        return lag_by_topic(await deps.lag(request).snapshot())
    except LagUnavailableError as exc:
        raise HTTPException(status_code=503, detail=str(exc), headers={"Retry-After": "5"}) from exc


def orders_per_state(counts: StateCounts) -> OrderStats:
    """``{"counts": {state: n}, "total": n}``: the body of ``GET /v1/stats/orders``."""
    per_state = counts.counts()
    return {"counts": per_state, "total": sum(per_state.values())}


def no_sales() -> MinuteSales:
    """A minute without sales yet."""
    return {"orders": 0, "units": 0, "revenue_cents": 0, "skus": {}}


def sales_summary(sales: SalesWindows, orders: OrderViews, minutes: int) -> SalesStats:
    """The body of ``GET /v1/stats/sales`` over the last ``minutes`` (see :func:`sales_stats`)."""
    now = now_ms()
    start = now - now % MINUTE_MS - (minutes - 1) * MINUTE_MS
    per_minute: dict[int, MinuteSales] = {}
    per_sku: dict[str, SkuSales] = {}
    for w in sales.since(start):
        minute = per_minute.setdefault(w["window_start"], no_sales())
        minute["units"] += w["units"]
        minute["revenue_cents"] += w["revenue_cents"]
        minute["skus"][w["sku"]] = {
            "orders": w["orders"],
            "units": w["units"],
            "revenue_cents": w["revenue_cents"],
        }
        sku = per_sku.setdefault(w["sku"], {"sku": w["sku"], "orders": 0, "units": 0, "revenue_cents": 0})
        sku["orders"] += w["orders"]
        sku["units"] += w["units"]
        sku["revenue_cents"] += w["revenue_cents"]
    for begin, count in orders.validated_per_minute(start).items():
        per_minute.setdefault(begin, no_sales())["orders"] = count
    windows: list[SalesMinute] = [
        {"window_start": iso(begin), "window_end": iso(begin + MINUTE_MS), **per_minute[begin]}
        for begin in sorted(per_minute)
    ]
    totals: Sales = {
        "orders": sum(m["orders"] for m in per_minute.values()),
        "units": sum(m["units"] for m in per_minute.values()),
        "revenue_cents": sum(m["revenue_cents"] for m in per_minute.values()),
    }
    top = sorted(per_sku.values(), key=lambda s: (-s["revenue_cents"], s["sku"]))[:TOP_SKUS]
    return {
        "minutes": minutes,
        "from": iso(start),
        "windows": windows,
        "totals": totals,
        "top_skus": top,
        "revenue_by_currency": orders.revenue_per_currency(start),
    }
