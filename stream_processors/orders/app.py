"""The orders processor: the only writer of ``orders`` (the canonical order state).

Its table's changelog *is* the ``orders`` topic, so updating the state and publishing the new
``Order`` are one write: nothing can be stored without being published, or the reverse.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import faust
from faust.types import EventT, StreamT

from schemas.serde import AvroSerde
from schemas.topics import Topics
from stream_processors.common.app import make_app, raw_topic, record_table
from stream_processors.common.dead_letters import DeadLetters, consume
from stream_processors.orders import rules
from stream_processors.orders.settings import OrdersSettings

SERVICE = "orders"


def create_app(settings: OrdersSettings) -> faust.App:
    """The Faust app with its table and agents; nothing connects until the worker starts."""
    prefix = settings.kafka.topic_prefix
    app = make_app(SERVICE, settings)
    dead = DeadLetters(app, SERVICE, prefix)
    orders = record_table(app, "orders", "Order", settings.kafka, changelog=Topics.ORDERS)
    placed_serde = AvroSerde.for_record("OrderPlaced")

    async def on_placed(event: EventT[bytes], placed: dict[str, Any]) -> None:
        if event.key != placed["order_id"]:
            raise ValueError(f"record key {event.key!r} is not its order_id {placed['order_id']!r}")
        order = rules.place(orders.get(placed["order_id"]), placed, datetime.now(UTC))
        if order is not None:
            orders[order["order_id"]] = order

    @app.agent(raw_topic(app, Topics.ORDER_REQUESTS, prefix))
    async def order_requests(stream: StreamT[bytes]) -> None:
        await consume(stream, placed_serde, dead, on_placed)

    return app
