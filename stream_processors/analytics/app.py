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

from schemas.topics import Topics
from stream_processors.analytics import rules
from stream_processors.analytics.settings import AnalyticsSettings
from stream_processors.common.app import (
    bootstrap,
    internal_topic,
    json_table,
    raw_topic,
)
from stream_processors.common.batch import Batch, Input
from stream_processors.common.runtime import BatchRunner, batch_agent

SERVICE = "analytics"


def create_app(settings: AnalyticsSettings) -> faust.App:  # noqa: C901 - agents share the app's tables
    """The Faust app with its tables and three agents.

    Building it talks to the schema registry (the schemas it writes are registered, waiting for the
    registry) and may create its internal topics; its consumers and producers connect when the
    worker starts.
    """
    app, serdes, dead, kafka = bootstrap(
        SERVICE, settings, writes=[Topics.SALES_PER_MINUTE, Topics.ORDER_COUNTS]
    )
    prefix = kafka.topic_prefix
    seen = json_table(app, "seen", kafka)
    members = json_table(app, "members", kafka)  # "<state>|<order_id>" → 1 while the order is in it
    windows = json_table(app, "windows", kafka)  # "<sku>|<window_start>" → counts and order ids
    changes = internal_topic(app, kafka, "state-changes")
    sold = internal_topic(app, kafka, "sales")
    counts_out = raw_topic(app, Topics.ORDER_COUNTS, prefix)
    sales_out = raw_topic(app, Topics.SALES_PER_MINUTE, prefix)
    encode_count = serdes(Topics.ORDER_COUNTS).encode
    encode_window = serdes(Topics.SALES_PER_MINUTE).encode
    counts: dict[str, int] = {}

    async def on_order(item: Input, batch: Batch) -> None:
        order = item.record
        moved = rules.transition(seen.get(order["order_id"]), order)
        if moved is None:
            return
        before, after = moved
        if before is not None:
            batch.send(changes, before, orjson.dumps({"op": "leave", "order_id": order["order_id"]}))
        batch.send(changes, after, orjson.dumps({"op": "enter", "order_id": order["order_id"]}))
        if after == "VALIDATED":
            for sale in rules.sales(order):
                batch.send(sold, sale["sku"], orjson.dumps(sale))
        seen[order["order_id"]] = {"state": order["state"], "version": order["version"]}

    async def on_change(item: Input, batch: Batch) -> None:
        state, change = str(item.key), orjson.loads(item.value or b"")
        member = f"{state}|{change['order_id']}"
        if change["op"] == "enter" and member not in members:
            members[member] = 1
            counts[state] = counts.get(state, 0) + 1
        elif change["op"] == "leave" and member in members:
            del members[member]
            counts[state] = counts.get(state, 0) - 1
        else:
            return
        batch.latest(counts_out, state, encode_count({"state": state, "count": counts[state]}))

    async def recount() -> None:
        """After recovery, counts are what the member keys say (they are the source of truth)."""
        counts.clear()
        for member in list(members.keys()):
            state = member.split("|", 1)[0]
            counts[state] = counts.get(state, 0) + 1

    members.on_recover(recount)

    async def on_sale(item: Input, batch: Batch) -> None:
        sale = orjson.loads(item.value or b"")
        key = f"{sale['sku']}|{sale['window_start']}"
        window = rules.add_sale(windows.get(key), sale)
        if window is None:
            return
        windows[key] = window
        record = rules.sales_window(sale["sku"], sale["window_start"], window)
        batch.latest(sales_out, sale["sku"], encode_window(record), slot=key)

    orders = raw_topic(app, Topics.ORDERS, prefix)
    runner = BatchRunner(app, dead, {orders.get_topic_name(): serdes(Topics.ORDERS)}, on_order, settings)
    batch_agent(app, "orders", orders, runner)
    batch_agent(
        app, "counts", changes, BatchRunner(app, dead, {changes.get_topic_name(): None}, on_change, settings)
    )
    batch_agent(app, "sales", sold, BatchRunner(app, dead, {sold.get_topic_name(): None}, on_sale, settings))
    return app
