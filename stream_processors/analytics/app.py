"""The analytics processor: the only writer of ``sales-per-minute`` and ``order-counts``.

1. ``orders`` (by order_id) → what it last saw of each order → state changes (leave/enter, keyed
   by state) and, when an order becomes VALIDATED, its sales per sku (keyed by sku);
2. state changes → the set of orders in each state (a member key per order: adding or removing
   it twice is harmless) → ``StateCount`` records;
3. sales → per sku and minute, the orders counted once each → ``SalesWindow`` records.
"""

from __future__ import annotations

import faust
import orjson

from schemas.records import Order, StateCount
from schemas.topics import Topics
from stream_processors.analytics import rules
from stream_processors.analytics.settings import AnalyticsSettings
from stream_processors.common.batch import Batch, Input
from stream_processors.common.processor import Processor, bootstrap

SERVICE = "analytics"


class Analytics:
    """The three steps of the module docstring, over the app's tables and topics."""

    def __init__(self, processor: Processor) -> None:
        self.seen: faust.Table[str, rules.Seen] = processor.json_table("seen")
        # "<state>|<order_id>" → 1 while the order is in that state
        self.members: faust.Table[str, int] = processor.json_table("members")
        # "<sku>|<window_start>" → counts and order ids
        self.windows: faust.Table[str, rules.Window] = processor.json_table("windows")
        self.changes = processor.internal_topic("state-changes")
        self.sold = processor.internal_topic("sales")
        self.counts_out = processor.topic(Topics.ORDER_COUNTS)
        self.sales_out = processor.topic(Topics.SALES_PER_MINUTE)
        self.encode_count = processor.serdes(Topics.ORDER_COUNTS).encode
        self.encode_window = processor.serdes(Topics.SALES_PER_MINUTE).encode
        self.counts: dict[str, int] = {}  # state → orders in it: what ``members`` says (``recount``)

    async def on_order(self, item: Input, batch: Batch) -> None:
        """1. An order version → the state it left and entered, and its sales once VALIDATED."""
        order = item.record_as(Order)
        moved = rules.transition(self.seen.get(order["order_id"]), order)
        if moved is None:
            return
        before, after = moved
        if before is not None:
            self._change(batch, before, {"op": "leave", "order_id": order["order_id"]})
        self._change(batch, after, {"op": "enter", "order_id": order["order_id"]})
        if after == "VALIDATED":
            for sale in rules.sales(order):
                batch.send(self.sold, sale["sku"], orjson.dumps(sale))
        self.seen[order["order_id"]] = {"state": order["state"], "version": order["version"]}

    def _change(self, batch: Batch, state: str, change: rules.StateChange) -> None:
        batch.send(self.changes, state, orjson.dumps(change))

    async def on_change(self, item: Input, batch: Batch) -> None:
        """2. An order leaving or entering a state → that state's ``StateCount``, if it changed."""
        state = str(item.key)
        change: rules.StateChange = orjson.loads(item.value or b"")
        member = f"{state}|{change['order_id']}"
        if change["op"] == "enter" and member not in self.members:
            self.members[member] = 1
            self.counts[state] = self.counts.get(state, 0) + 1
        elif change["op"] == "leave" and member in self.members:
            del self.members[member]
            self.counts[state] = self.counts.get(state, 0) - 1
        else:
            return
        count: StateCount = {"state": state, "count": self.counts[state]}
        batch.latest(self.counts_out, state, self.encode_count(count))

    async def recount(self) -> None:
        """After recovery, counts are what the member keys say (they are the source of truth)."""
        self.counts.clear()
        for member in list(self.members.keys()):
            state = member.split("|", 1)[0]
            self.counts[state] = self.counts.get(state, 0) + 1

    async def on_sale(self, item: Input, batch: Batch) -> None:
        """3. One order's sale of a sku → that sku's ``SalesWindow`` of the minute, each order once."""
        sale: rules.Sale = orjson.loads(item.value or b"")
        key = f"{sale['sku']}|{sale['window_start']}"
        window = rules.add_sale(self.windows.get(key), sale)
        if window is None:
            return
        self.windows[key] = window
        record = rules.sales_window(sale["sku"], sale["window_start"], window)
        batch.latest(self.sales_out, sale["sku"], self.encode_window(record), slot=key)


def create_app(settings: AnalyticsSettings) -> faust.App:
    """The Faust app with its tables and three agents."""
    processor = bootstrap(SERVICE, settings, writes=[Topics.SALES_PER_MINUTE, Topics.ORDER_COUNTS])
    analytics = Analytics(processor)
    analytics.members.on_recover(analytics.recount)
    orders = processor.topic(Topics.ORDERS)
    processor.agent("orders", orders, analytics.on_order, processor.serdes(Topics.ORDERS))
    processor.agent("counts", analytics.changes, analytics.on_change)
    processor.agent("sales", analytics.sold, analytics.on_sale)
    return processor.app
