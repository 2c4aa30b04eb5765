"""Drives ingest-api with the simulator's mix and writes every request and its answer in a ledger.

Payments, ships and cancels are only sent for orders whose POST was acknowledged (2xx): the ledger
then knows exactly which events the system promised to keep.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from producers.simulator.mix import Call, Mix

ORDER_KINDS = frozenset({"order", "order-out-of-stock", "order-over-limit"})
# requests in flight at most: when ingest-api answers slowly (a broker down, a busy machine) the
# offered rate drops instead of queueing thousands of requests in the client's connection pool
MAX_IN_FLIGHT = 32


@dataclass(frozen=True)
class Sent:
    """One request: what it was, when it went out and came back, and the status (None: no answer)."""

    kind: str
    order_id: str
    status: int | None
    sent_at: float
    done_at: float
    body: dict[str, Any] | None
    error: str = ""

    @property
    def acked(self) -> bool:
        """ingest-api promised the event is durably in Kafka."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def maybe(self) -> bool:
        """Not acknowledged, yet possibly written (503 after a time-out, or no answer at all)."""
        return self.status is None or self.status >= 500


@dataclass
class Ledger:
    """Every request sent, plus the stock levels set (sku → on_hand) before the orders."""

    calls: list[Sent] = field(default_factory=list)
    stock: dict[str, int] = field(default_factory=dict)
    acked_orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: int = 0
    on_order_acked: Callable[[Sent], None] | None = None

    def record(self, sent: Sent) -> None:
        """Add one answered (or unanswered) request."""
        self.calls.append(sent)
        if sent.kind in ORDER_KINDS and sent.acked and sent.body is not None:
            self.acked_orders[sent.order_id] = sent.body
            if self.on_order_acked is not None:
                self.on_order_acked(sent)

    def statuses(self) -> Counter[str]:
        """How many requests got each status (``none:<error>`` for no answer)."""
        return Counter(str(c.status) if c.status is not None else f"none:{c.error}" for c in self.calls)

    def orders_driven(self) -> int:
        """How many orders were posted, answered or not."""
        return sum(1 for c in self.calls if c.kind in ORDER_KINDS)

    def for_order(self, order_id: str, kind: str) -> list[Sent]:
        """The requests of ``kind`` sent for ``order_id``."""
        return [c for c in self.calls if c.order_id == order_id and c.kind == kind]


def _order_id(call: Call) -> str:
    """The order a call is about ('' for reference data)."""
    if call.body is not None and "order_id" in call.body:
        return str(call.body["order_id"])
    parts = call.path.split("/")
    return parts[3] if len(parts) > 3 and parts[2] == "orders" else ""


async def send(client: httpx.AsyncClient, call: Call, ledger: Ledger) -> None:
    """Send one call and record its outcome (a transport error is an unanswered request)."""
    started = time.monotonic()
    status: int | None
    error = ""
    try:
        status = (await client.request(call.method, call.path, json=call.body)).status_code
    except httpx.HTTPError as exc:
        status, error = None, type(exc).__name__
    ledger.record(Sent(call.kind, _order_id(call), status, started, time.monotonic(), call.body, error))


async def _seed_one(client: httpx.AsyncClient, call: Call, ledger: Ledger) -> None:
    """One reference-data call, retried until acknowledged."""
    for _ in range(30):
        response = await client.request(call.method, call.path, json=call.body)
        if response.is_success:
            break
        await asyncio.sleep(1)
    else:
        raise AssertionError(f"{call.path} never acknowledged: {response.status_code}")
    if call.kind == "stock" and call.body is not None:
        ledger.stock[call.path.rsplit("/", 1)[1]] = int(call.body["on_hand"])


async def seed(client: httpx.AsyncClient, mix: Mix, ledger: Ledger) -> None:
    """Customers and stock of the mix, ``MAX_IN_FLIGHT`` at a time, each retried until acknowledged."""
    calls = mix.seed_calls()
    for i in range(0, len(calls), MAX_IN_FLIGHT):
        await asyncio.gather(*(_seed_one(client, c, ledger) for c in calls[i : i + MAX_IN_FLIGHT]))


async def drive(
    client: httpx.AsyncClient, mix: Mix, ledger: Ledger, rate: float, stop: asyncio.Event
) -> None:
    """Send the mix at up to ``rate`` calls/s until ``stop`` is set; follow-ups only for acknowledged orders.

    At most ``MAX_IN_FLIGHT`` requests wait for an answer; calls not sent in time are not made up later.
    """
    tasks: set[asyncio.Task[None]] = set()
    start, n = time.monotonic(), 0
    while not stop.is_set():
        due = int((time.monotonic() - start) * rate) + 1
        n = max(n, due - MAX_IN_FLIGHT)
        while n < due and len(tasks) < MAX_IN_FLIGHT:
            n += 1
            call = mix.next_call()
            if call.kind not in ORDER_KINDS and _order_id(call) not in ledger.acked_orders:
                ledger.skipped += 1
                continue
            task = asyncio.create_task(send(client, call, ledger))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.sleep(min(0.02, 1 / rate))
    if tasks:
        await asyncio.gather(*tasks)
