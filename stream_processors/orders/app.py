"""The orders processor: the only writer of ``orders`` (the canonical order state).

Its ``orders`` table's changelog *is* the ``orders`` topic, so updating an order and publishing
the new ``Order`` are one write. One agent reads every input (they are all keyed by order_id and
co-partitioned) plus a tick topic for time-outs, so each order is changed by one task, in order;
what it does with each record is :class:`~stream_processors.orders.processor.OrdersHandler`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import faust

from schemas.topics import Topics
from stream_processors.common.app import (
    bootstrap,
    internal_topic,
    json_table,
    raw_topic,
    record_table,
    sources,
)
from stream_processors.common.runtime import BatchRunner, batch_agent
from stream_processors.orders.processor import OrdersHandler, Wiring
from stream_processors.orders.settings import OrdersSettings

SERVICE = "orders"
INPUTS = (Topics.ORDER_REQUESTS, Topics.ORDER_VALIDATIONS, Topics.PAYMENTS, Topics.ORDER_ACTIONS)


def create_app(settings: OrdersSettings) -> faust.App:
    """The Faust app with its tables and its one agent.

    Building it talks to the schema registry (the schemas it writes are registered, waiting for the
    registry) and may create its internal topics; its consumers and producers connect when the
    worker starts.
    """
    app, serdes, dead, kafka = bootstrap(SERVICE, settings, writes=[Topics.ORDERS, Topics.ORDER_REJECTIONS])
    prefix = kafka.topic_prefix
    orders = record_table(app, "orders", serdes(Topics.ORDERS), kafka, changelog=Topics.ORDERS)
    checks = json_table(app, "checks", kafka)  # undecided orders: checks passed so far, when created
    held = json_table(app, "held", kafka)  # payments/actions that overtook their order
    ticks = internal_topic(app, kafka, "ticks", retention=timedelta(hours=1))
    decoders: dict[str, Any] = {spec.full_name(prefix): serdes(spec) for spec in INPUTS}
    decoders[ticks.get_topic_name()] = None
    wiring = Wiring(
        names={spec.full_name(prefix): spec.name for spec in INPUTS},
        ticks=ticks.get_topic_name(),
        rejections=raw_topic(app, Topics.ORDER_REJECTIONS, prefix),
        encode_rejection=serdes(Topics.ORDER_REJECTIONS).encode,
        partitions=kafka.partitions,
        timeout_ms=int(settings.validation_timeout_s * 1000),
        hold_ms=int(settings.hold_unmatched_s * 1000),
    )
    handler = OrdersHandler(app, wiring, (orders, checks, held), dead.send_raw)
    runner = BatchRunner(app, dead, decoders, handler, settings, unkeyed=frozenset({ticks.get_topic_name()}))
    batch_agent(app, "orders", sources(app, decoders, kafka.partitions), runner)

    async def tick() -> None:
        for partition in range(kafka.partitions):
            await ticks.send(value=b"", partition=partition)

    app.timer(interval=settings.tick_interval_s)(tick)
    return app
