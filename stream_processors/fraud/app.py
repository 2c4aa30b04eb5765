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
from schemas.topics import Topics
from stream_processors.common import checks
from stream_processors.common.app import (
    bootstrap,
    internal_topic,
    json_table,
    raw_topic,
)
from stream_processors.common.batch import Batch, Input
from stream_processors.common.runtime import BatchRunner, batch_agent
from stream_processors.fraud import rules
from stream_processors.fraud.settings import FraudSettings

SERVICE = "fraud"


def create_app(settings: FraudSettings) -> faust.App:
    """The Faust app with its recent-orders table and its two agents."""
    app, serdes, dead, kafka = bootstrap(SERVICE, settings, writes=[Topics.ORDER_VALIDATIONS])
    prefix = kafka.topic_prefix
    recent = json_table(app, "recent", kafka)  # customer_id → entries of rules.Entry
    orders = raw_topic(app, Topics.ORDERS, prefix)
    by_customer = internal_topic(app, kafka, "orders-by-customer")
    validations = raw_topic(app, Topics.ORDER_VALIDATIONS, prefix)
    encode = serdes(Topics.ORDER_VALIDATIONS).encode
    window_ms = int(settings.window_s * 1000)

    async def forward(item: Input, batch: Batch) -> None:
        if checks.is_new(item.record):
            batch.send(by_customer, item.record["customer_id"], item.value or b"")

    async def check(item: Input, batch: Batch) -> None:
        order = item.record
        customer_id = order["customer_id"]
        decision = rules.check(recent.get(customer_id, []), order, settings.limit_cents, window_ms)
        if not decision.repeated:
            recent[customer_id] = decision.entries
        validation = rules.validation(order["order_id"], decision.passed, now_ms())
        batch.send(validations, order["order_id"], encode(validation))

    order_serde = serdes(Topics.ORDERS)
    forwarding = BatchRunner(app, dead, {orders.get_topic_name(): order_serde}, forward, settings)
    batch_agent(app, "forward", orders, forwarding)
    checking = BatchRunner(app, dead, {by_customer.get_topic_name(): order_serde}, check, settings)
    batch_agent(app, "fraud", by_customer, checking)
    return app
