"""End-to-end latency: POST /v1/orders → the order VALIDATED in query-api, at fixed offered loads.

One process offers orders at a steady rate through ingest-api while listening to query-api's
``/v1/stream``; an order's latency is from just before its POST to its VALIDATED event. Each run offers
at most ``MAX_ORDERS_PER_RUN`` orders and then waits for all of them (the drain also keeps one run's
backlog out of the next). Percentiles are over every order sent: one not VALIDATED within
``DRAIN_S`` counts as ``DRAIN_S`` (the percentile is then a lower bound, and ``validated`` says so).
A POST whose connection broke before any answer is not an order sent; ``unanswered`` counts them.
A rate the system sustains is measured beside the two asked for, which saturate it.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.common import percentile

CUSTOMERS = 400  # spreads the fraud limit: no order of this test may fail
MAX_ORDERS_PER_RUN = 600
DRAIN_S = 60.0
OVERRUN_S = 90.0  # the load outlasts ``seconds`` by at most this much, waiting for ``during()``
RATES = (20.0, 200.0, 1000.0)


async def seed(ingest: httpx.AsyncClient, run: str) -> tuple[list[str], str]:
    """Customers and one sku with ample stock."""
    customers = [f"lat-{run}-c{i}" for i in range(CUSTOMERS)]
    for customer in customers:
        r = await ingest.put(f"/v1/customers/{customer}", json={"name": "L", "email": "l@example.com"})
        r.raise_for_status()
    sku = f"lat-{run}-sku"
    (await ingest.put(f"/v1/inventory/{sku}", json={"on_hand": 10_000_000})).raise_for_status()
    return customers, sku


async def listen(
    query_url: str, sent: dict[str, float], done: dict[str, float], stop: asyncio.Event, all_in: asyncio.Event
) -> None:
    """Record when each order we sent shows up VALIDATED on the stream; ``all_in`` once all are."""
    async with (
        httpx.AsyncClient(base_url=query_url, timeout=httpx.Timeout(10, read=120)) as query,
        query.stream("GET", "/v1/stream", params={"stats_every_ms": 60_000}) as response,
    ):
        event = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "order":
                order = json.loads(line[6:])
                if order["state"] == "VALIDATED" and order["order_id"] in sent:
                    done.setdefault(order["order_id"], time.perf_counter())
                    if stop.is_set() and len(done) >= len(sent):
                        all_in.set()


@dataclass
class Orders:
    """One run's orders: when each was sent and seen VALIDATED, and those skipped or unanswered."""

    ingest: httpx.AsyncClient
    run: str
    customers: list[str]
    sku: str
    sent: dict[str, float] = field(default_factory=dict)
    done: dict[str, float] = field(default_factory=dict)
    unanswered: list[str] = field(default_factory=list)  # broke before an answer: not counted as sent
    in_flight: int = 0
    skipped: int = 0

    def offer(self, i: int, max_in_flight: int | None) -> asyncio.Task[None] | None:
        """Start POSTing order ``i``, or skip it while ``max_in_flight`` POSTs are unanswered."""
        if max_in_flight is not None and self.in_flight >= max_in_flight:
            self.skipped += 1
            return None
        self.in_flight += 1
        return asyncio.create_task(self.post(i))

    async def post(self, i: int) -> None:
        """POST order ``i``, its send time kept; one whose connection broke goes to ``unanswered``."""
        order_id = f"lat-{self.run}-{i}"
        body = {
            "order_id": order_id,
            "customer_id": self.customers[i % CUSTOMERS],
            "currency": "EUR",
            "items": [{"sku": self.sku, "quantity": 1, "unit_price_cents": 100}],
        }
        self.sent[order_id] = time.perf_counter()
        try:
            response = await self.ingest.post("/v1/orders", json=body)
        except httpx.TransportError:  # e.g. a kept-alive connection the server had just closed
            del self.sent[order_id]
            self.unanswered.append(order_id)
            return
        finally:
            self.in_flight -= 1
        response.raise_for_status()

    def figures(self, rate: float) -> dict[str, Any]:
        """Percentiles over every order sent, one never VALIDATED counting as ``DRAIN_S``."""
        sent, done = self.sent, self.done
        latencies = [(done[o] - sent[o]) * 1000 if o in done else DRAIN_S * 1000 for o in sent]
        return {
            "offered_per_s": rate,
            "sent": len(sent),
            "skipped": self.skipped,
            "validated": len(done),
            "unanswered": len(self.unanswered),
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99),
        }


async def pace(
    orders: Orders,
    rate: float,
    seconds: float,
    during: Callable[[], Awaitable[object]] | None,
    max_in_flight: int | None,
) -> None:
    """Offer ``rate`` orders/s for ``seconds`` and while ``during()`` runs; then await every POST."""
    start, tasks, i = time.perf_counter(), [], 0
    alongside = asyncio.ensure_future(during()) if during else None
    while (elapsed := time.perf_counter() - start) < seconds or (
        alongside is not None and not alongside.done() and elapsed < seconds + OVERRUN_S
    ):
        while i < int(elapsed * rate) + 1:
            if (task := orders.offer(i, max_in_flight)) is not None:
                tasks.append(task)
            i += 1
        await asyncio.sleep(0.002)
    await asyncio.gather(*tasks)
    if alongside:
        await alongside  # its failure is the run's


async def offer(
    ingest_url: str,
    query_url: str,
    rate: float,
    seconds: float,
    during: Callable[[], Awaitable[object]] | None = None,
    max_in_flight: int | None = None,
) -> dict[str, Any]:
    """Offer ``rate`` orders/s for ``seconds``; latency percentiles of the orders that validated.

    ``during()``, if given, starts with the first order (after seeding) and the load goes on at the
    same rate until it has returned as well, ``OVERRUN_S`` at the most (``bench.steady`` measures a
    window of steady load so). With ``max_in_flight``, an order falling due while that many POSTs
    are unanswered is not sent but counted as ``skipped``: the client then stays on time instead of
    queueing ever more requests (httpx's pool spends time quadratic in its queue, and the generator
    would become what is measured).
    """
    run = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(
        base_url=ingest_url, timeout=30, limits=httpx.Limits(max_connections=256)
    ) as ingest:
        orders = Orders(ingest, run, *await seed(ingest, run))
        stop, all_in = asyncio.Event(), asyncio.Event()
        listener = asyncio.create_task(listen(query_url, orders.sent, orders.done, stop, all_in))
        await asyncio.sleep(1)  # the stream is open before the first order
        await pace(orders, rate, seconds, during, max_in_flight)
        stop.set()  # from now on the listener says when every order is in
        if len(orders.done) < len(orders.sent):
            try:
                await asyncio.wait_for(all_in.wait(), DRAIN_S)
            except TimeoutError:
                pass
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
    return orders.figures(rate)


def run(
    ingest_url: str,
    query_url: str,
    rates: tuple[float, ...] = RATES,
    seconds: float = 10,
    runs: int = 3,
) -> list[dict[str, Any]]:
    """For each rate: a warm-up, then ``runs`` runs; figures are medians with the runs kept."""
    figures: list[dict[str, Any]] = []
    for rate in rates:
        window = min(seconds, MAX_ORDERS_PER_RUN / rate)
        asyncio.run(offer(ingest_url, query_url, rate, min(2.0, window)))  # warm-up
        results = [asyncio.run(offer(ingest_url, query_url, rate, window)) for _ in range(runs)]
        for key in ("p50_ms", "p95_ms", "p99_ms"):
            values = [r[key] for r in results]
            figures.append(
                {
                    "name": f"e2e latency POST→VALIDATED {key[:-3]} at {rate:g}/s offered for {window:g} s",
                    "value": statistics.median(values),
                    "unit": "ms",
                    "runs": values,
                    "detail": [{k: r[k] for k in ("sent", "validated", "unanswered")} for r in results],
                }
            )
    return figures
