"""The orders processor: the only writer of ``orders`` (the canonical order state).

Its ``orders`` table's changelog *is* the ``orders`` topic, so updating an order and publishing
the new ``Order`` are one write. One agent reads every input (they are all keyed by order_id and
co-partitioned) plus a tick topic for time-outs, so each order is changed by one task, in order;
what it does with each record is :class:`~stream_processors.orders.processor.OrdersHandler`.
"""

from __future__ import annotations

from datetime import timedelta

import faust

from schemas.records import Order
from schemas.serde import AvroSerde
from schemas.topics import Topics
from stream_processors.common.processor import bootstrap
from stream_processors.orders import rules
from stream_processors.orders.processor import OrdersHandler, Undecided, Wiring
from stream_processors.orders.settings import OrdersSettings

SERVICE = "orders"
INPUTS = (Topics.ORDER_REQUESTS, Topics.ORDER_VALIDATIONS, Topics.PAYMENTS, Topics.ORDER_ACTIONS)


def create_app(settings: OrdersSettings) -> faust.App:
    """The Faust app with its tables and its one agent."""
    processor = bootstrap(SERVICE, settings, writes=[Topics.ORDERS, Topics.ORDER_REJECTIONS])
    orders: faust.Table[str, Order] = processor.record_table("orders", changelog=Topics.ORDERS)
    # undecided orders: checks passed so far, when created
    checks: faust.Table[str, Undecided] = processor.json_table("checks")
    # payments/actions that overtook their order
    held: faust.Table[str, list[rules.Held]] = processor.json_table("held")
    ticks = processor.internal_topic("ticks", retention=timedelta(hours=1))
    decoders: dict[str, AvroSerde | None] = {processor.name(spec): processor.serdes(spec) for spec in INPUTS}
    decoders[ticks.get_topic_name()] = None
    wiring = Wiring(
        names={processor.name(spec): spec.name for spec in INPUTS},
        ticks=ticks.get_topic_name(),
        rejections=processor.topic(Topics.ORDER_REJECTIONS),
        encode_rejection=processor.serdes(Topics.ORDER_REJECTIONS).encode,
        partitions=settings.kafka.partitions,
        timeout_ms=int(settings.validation_timeout_s * 1000),
        hold_ms=int(settings.hold_unmatched_s * 1000),
    )
    handler = OrdersHandler(processor.app, wiring, (orders, checks, held), processor.dead.send_raw)
    processor.merged_agent("orders", decoders, handler, unkeyed=frozenset({ticks.get_topic_name()}))

    async def tick() -> None:
        for partition in range(settings.kafka.partitions):
            await ticks.send(value=b"", partition=partition)

    processor.app.timer(interval=settings.tick_interval_s)(tick)
    return processor.app
