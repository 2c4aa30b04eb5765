"""The fraud processor: the FRAUD check of every new order (one writer of its results).

``orders`` is keyed by order_id but the check is per customer, so:

1. ``orders`` → each new order (CREATED, version 1), its bytes unchanged → internal
   ``-orders-by-customer`` topic, keyed by customer_id;
2. ``-orders-by-customer`` → the customer's recent orders table → ``order-validations``.

It reads ``orders`` rather than ``order-requests``: an ignored re-post never counts.
"""

from __future__ import annotations

import faust

from schemas.clock import now_ms
from schemas.records import Order
from schemas.topics import Topics
from stream_processors.common import checks
from stream_processors.common.batch import Batch, Input
from stream_processors.common.processor import bootstrap
from stream_processors.fraud import rules
from stream_processors.fraud.settings import FraudSettings

SERVICE = "fraud"


def create_app(settings: FraudSettings) -> faust.App:
    """The Faust app with its recent-orders table and its two agents."""
    processor = bootstrap(SERVICE, settings, writes=[Topics.ORDER_VALIDATIONS])
    recent: faust.Table[str, list[rules.Entry]] = processor.json_table("recent")  # customer_id → entries
    orders = processor.topic(Topics.ORDERS)
    by_customer = processor.internal_topic("orders-by-customer")
    validations = processor.topic(Topics.ORDER_VALIDATIONS)
    encode = processor.serdes(Topics.ORDER_VALIDATIONS).encode
    window_ms = int(settings.window_s * 1000)

    async def forward(item: Input, batch: Batch) -> None:
        order = item.record_as(Order)
        if checks.is_new(order):
            batch.send(by_customer, order["customer_id"], item.value or b"")

    async def check(item: Input, batch: Batch) -> None:
        order = item.record_as(Order)
        customer_id = order["customer_id"]
        decision = rules.check(recent.get(customer_id, []), order, settings.limit_cents, window_ms)
        if not decision.repeated:
            recent[customer_id] = decision.entries
        validation = rules.validation(order["order_id"], decision.passed, now_ms())
        batch.send(validations, order["order_id"], encode(validation))

    order_serde = processor.serdes(Topics.ORDERS)
    processor.agent("forward", orders, forward, order_serde)
    processor.agent("fraud", by_customer, check, order_serde)
    return processor.app
