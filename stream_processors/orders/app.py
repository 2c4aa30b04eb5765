"""The orders processor: the only writer of ``orders`` (the canonical order state).

Its table's changelog *is* the ``orders`` topic, so updating the state and publishing the new
``Order`` are one write: nothing can be stored without being published, or the reverse.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.types import EventT, StreamT

from schemas.clock import now_ms
from schemas.topics import Topics
from stream_processors.common.app import make_app, prepared_serdes, raw_topic, record_table
from stream_processors.common.dead_letters import DeadLetters, consume
from stream_processors.orders import rules
from stream_processors.orders.settings import OrdersSettings

SERVICE = "orders"


def create_app(settings: OrdersSettings) -> faust.App:
    """The Faust app with its table and agents; nothing connects until the worker starts."""
    prefix = settings.kafka.topic_prefix
    app = make_app(SERVICE, settings)
    dead = DeadLetters(app, SERVICE, prefix)
    serdes = prepared_serdes(app, settings, writes=[Topics.ORDERS])
    orders = record_table(app, "orders", serdes(Topics.ORDERS), settings.kafka, changelog=Topics.ORDERS)

    async def on_placed(event: EventT[bytes], placed: dict[str, Any]) -> None:
        if event.key != placed["order_id"]:
            raise ValueError(f"record key {event.key!r} is not its order_id {placed['order_id']!r}")
        order = rules.place(orders.get(placed["order_id"]), placed, now_ms())
        if order is not None:
            orders[order["order_id"]] = order

    @app.agent(raw_topic(app, Topics.ORDER_REQUESTS, prefix))
    async def order_requests(stream: StreamT[bytes]) -> None:
        await consume(stream, serdes(Topics.ORDER_REQUESTS), dead, on_placed)

    return app
