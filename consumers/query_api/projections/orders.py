"""The orders read model: the latest version of every order, and waiters for its changes."""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable, Collection, MutableMapping
from typing import TypedDict

from consumers.query_api.projections.base import Headers
from schemas.clock import iso
from schemas.records import Order, OrderLine, OrderState
from schemas.topics import Topics
from schemas.trace_context import trace_id

#: how many of the most recent failures the read model keeps indexed (the dashboard shows fewer)
FAILURES_KEPT = 100


class OrderView(TypedDict):
    """An order as the HTTP API shows it: every ``Order`` field, timestamps as ISO-8601 strings, and the
    trace id its version's record carried (SPEC §5 trace context; None when it carried none).

    Made once per version, when the record is applied: reads and the live stream send it as it is.
    """

    order_id: str
    customer_id: str
    currency: str
    items: list[OrderLine]
    total_cents: int
    paid_cents: int
    state: OrderState
    reasons: list[str]
    version: int
    placed_at: str
    updated_at: str
    validated_at: str | None
    payment_ids: list[str]
    trace_id: str | None


def to_view(order: Order, trace_id: str | None = None) -> OrderView:
    """The view of one version of an order (a record read has every field: the reader fills defaults)."""
    validated_at = order.get("validated_at")
    return {
        "order_id": order["order_id"],
        "customer_id": order["customer_id"],
        "currency": order["currency"],
        "items": order["items"],
        "total_cents": order["total_cents"],
        "paid_cents": order["paid_cents"],
        "state": order["state"],
        "reasons": order["reasons"],
        "version": order["version"],
        "placed_at": iso(order["placed_at"]),
        "updated_at": iso(order["updated_at"]),
        "validated_at": None if validated_at is None else iso(validated_at),
        "payment_ids": order["payment_ids"],
        "trace_id": trace_id,
    }


class OrderViews:
    """Latest order views by id; any number of waiters per order, woken on each new version."""

    topic = Topics.ORDERS

    def __init__(
        self,
        on_change: Callable[[OrderView], None] | None = None,
        store: MutableMapping[str, OrderView] | None = None,
    ) -> None:
        self._on_change = on_change
        self._views: MutableMapping[str, OrderView] = {} if store is None else store
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._validated_per_minute: dict[int, int] = {}
        # validated orders' total_cents per (minute of placed_at, currency): revenue with its currency
        self._revenue_per_minute: dict[tuple[int, str], int] = {}
        self._failures: list[tuple[int, str]] = []  # (updated_at, order_id) of FAILED orders, ascending
        self._by_customer: dict[str, list[tuple[int, str]]] = {}  # (placed_at, order_id), ascending

    def __len__(self) -> int:
        return len(self._views)

    def get(self, order_id: str) -> OrderView | None:
        """The latest view of ``order_id``, if known."""
        return self._views.get(order_id)

    def apply(self, key: str | None, record: Order, headers: Headers = ()) -> None:
        """Keep ``record`` if it is newer than what we have, and wake the order's waiters."""
        order_id = record["order_id"]
        current = self._views.get(order_id)
        if current is not None and current["version"] >= record["version"]:
            return
        if record.get("validated_at") is not None and (current is None or current["validated_at"] is None):
            minute = record["placed_at"] - record["placed_at"] % 60_000
            self._validated_per_minute[minute] = self._validated_per_minute.get(minute, 0) + 1
            slot = (minute, record["currency"])
            self._revenue_per_minute[slot] = self._revenue_per_minute.get(slot, 0) + record["total_cents"]
        if record["state"] == "FAILED" and (current is None or current["state"] != "FAILED"):
            self._note_failure(record["updated_at"], order_id)
        if current is None:
            bisect.insort(
                self._by_customer.setdefault(record["customer_id"], []), (record["placed_at"], order_id)
            )
        view = self._views[order_id] = to_view(record, trace_id(headers))
        if self._on_change is not None:
            self._on_change(view)
        for waiter in self._waiters.pop(order_id, ()):
            if not waiter.done():
                waiter.set_result(None)

    def customer_page(
        self, customer_id: str, limit: int, after: tuple[int, str] | None
    ) -> tuple[list[OrderView], tuple[int, str] | None]:
        """Up to ``limit`` of the customer's orders, newest first, older than ``after`` if given.

        Returns the page and the position to continue from (None when there is no more).
        """
        index = self._by_customer.get(customer_id, [])
        end = len(index) if after is None else bisect.bisect_left(index, after)
        chosen = index[max(0, end - limit) : end][::-1]
        more = end - limit > 0
        return [self._views[order_id] for _, order_id in chosen], (chosen[-1] if more and chosen else None)

    def validated_per_minute(self, start: int) -> dict[int, int]:
        """Orders that became VALIDATED, per minute of placed_at, from ``start`` (epoch millis) on."""
        return {minute: n for minute, n in self._validated_per_minute.items() if minute >= start}

    def revenue_per_currency(self, start: int) -> dict[str, int]:
        """Total cents of orders that became VALIDATED, per currency, placed from ``start`` on."""
        totals: dict[str, int] = {}
        for (minute, currency), cents in self._revenue_per_minute.items():
            if minute >= start:
                totals[currency] = totals.get(currency, 0) + cents
        return dict(sorted(totals.items()))

    def latest_failures(self, limit: int) -> list[OrderView]:
        """Up to ``limit`` FAILED orders, the most recently failed first (FAILED is final)."""
        chosen = self._failures[max(0, len(self._failures) - limit) :][::-1]
        return [self._views[order_id] for _, order_id in chosen]

    def _note_failure(self, updated_at: int, order_id: str) -> None:
        """Index a newly failed order, keeping only the ``FAILURES_KEPT`` most recent."""
        bisect.insort(self._failures, (updated_at, order_id))
        if len(self._failures) > FAILURES_KEPT:
            del self._failures[0]

    async def wait_for(self, order_id: str, states: Collection[str], timeout_s: float) -> OrderView | None:
        """The view once its state is in ``states``, or whatever is known when the time runs out.

        Checking and registering happen with no await between them, so an update cannot slip
        in unseen between "check" and "wait".
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            view = self._views.get(order_id)
            remaining = deadline - loop.time()
            if (view is not None and view["state"] in states) or remaining <= 0:
                return view
            waiter: asyncio.Future[None] = loop.create_future()
            waiters = self._waiters.setdefault(order_id, set())
            waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                waiters.discard(waiter)
                if not waiters and self._waiters.get(order_id) is waiters:
                    del self._waiters[order_id]
