"""``GET /v1/stream``: order changes and stats as Server-Sent Events, for dashboards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from sse_starlette.sse import EventSourceResponse

from consumers.query_api import deps
from consumers.query_api.routes.stats import orders_per_state, sales_summary

router = APIRouter(prefix="/v1", tags=["stream"])


@router.get("/stream")
async def stream(
    request: Request,
    stats_every_ms: Annotated[int, Query(ge=200, le=60_000)] = 2000,
) -> EventSourceResponse:
    """Events ``order`` (each new order version) and ``stats`` (orders per state, sales, every tick)."""

    hub, counts = deps.broadcaster(request), deps.state_counts(request)
    sales, orders = deps.sales(request), deps.orders(request)

    async def events() -> AsyncIterator[dict[str, str]]:  # the fields of one Server-Sent Event
        with hub.subscribe() as queue:
            loop = asyncio.get_running_loop()
            next_stats = loop.time()
            while not await request.is_disconnected():
                if loop.time() >= next_stats:
                    snapshot = {
                        "orders": orders_per_state(counts),
                        "sales": sales_summary(sales, orders, minutes=30),
                    }
                    yield {"event": "stats", "data": orjson.dumps(snapshot).decode()}
                    next_stats = loop.time() + stats_every_ms / 1000
                try:
                    event, data = await asyncio.wait_for(queue.get(), max(0.0, next_stats - loop.time()))
                except TimeoutError:
                    continue
                yield {"event": event, "data": orjson.dumps(data).decode()}

    return EventSourceResponse(events(), ping=15)
