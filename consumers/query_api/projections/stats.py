"""Statistics read models: orders per state (``order-counts``) and sales per minute (``sales-per-minute``)."""

from __future__ import annotations

from typing import get_args

from consumers.query_api.projections.base import Headers
from schemas.records import OrderState, SalesWindow, StateCount
from schemas.topics import Topics

STATES: tuple[OrderState, ...] = get_args(OrderState)  # as the Order schema lists them


class StateCounts:
    """How many orders are in each state now, as the analytics processor last said."""

    topic = Topics.ORDER_COUNTS

    def __init__(self) -> None:
        self._counts: dict[str, int] = dict.fromkeys(STATES, 0)

    def counts(self) -> dict[str, int]:
        """Count per state, every state present."""
        return dict(self._counts)

    def apply(self, key: str | None, record: StateCount, headers: Headers = ()) -> None:
        """The latest count of a state replaces the previous one (the topic is compacted state)."""
        self._counts[record["state"]] = int(record["count"])


class SalesWindows:
    """Sales per sku per minute: the latest ``SalesWindow`` of each (sku, window_start)."""

    topic = Topics.SALES_PER_MINUTE

    def __init__(self) -> None:
        self._windows: dict[tuple[str, int], SalesWindow] = {}

    def since(self, start: int) -> list[SalesWindow]:
        """Every sku window starting at or after ``start`` (epoch millis), oldest first."""
        chosen = [w for (_, begin), w in self._windows.items() if begin >= start]
        return sorted(chosen, key=lambda w: (w["window_start"], w["sku"]))

    def apply(self, key: str | None, record: SalesWindow, headers: Headers = ()) -> None:
        """Keep the fullest record of the window (updates only ever add orders)."""
        slot = (record["sku"], int(record["window_start"]))
        current = self._windows.get(slot)
        if current is None or record["orders"] >= current["orders"]:
            self._windows[slot] = record
