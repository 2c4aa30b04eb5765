"""The order-details processor: the DETAILS check of every new order (one writer of its results).

It reads ``orders`` rather than ``order-requests``: a re-posted order_id is ignored by the orders
processor, so each order is checked once. Customers are a :class:`ReferenceView` on every worker,
and a decision is remembered per order_id so a redelivered order gets the same answer again.
An order that would fail for its customer waits, with the later orders of the same key, for one
catch-up of the customers shared by the whole batch (SPEC §3 "reference data first").
"""

from __future__ import annotations

import faust

from schemas.clock import now_ms
from schemas.topics import Topics
from stream_processors.common import checks
from stream_processors.common.app import bootstrap, json_table, raw_topic
from stream_processors.common.batch import NEEDS_REFERENCE, Batch, Input, Verdict
from stream_processors.common.reference import ReferenceView
from stream_processors.common.runtime import BatchRunner, batch_agent
from stream_processors.order_details import rules
from stream_processors.order_details.settings import DetailsSettings

SERVICE = "order-details"


def create_app(settings: DetailsSettings) -> faust.App:
    """The Faust app with its customers view, its decisions table and its one agent."""
    app, serdes, dead, kafka = bootstrap(SERVICE, settings, writes=[Topics.ORDER_VALIDATIONS])
    prefix = kafka.topic_prefix
    customers = ReferenceView(kafka, serdes(Topics.CUSTOMERS), SERVICE, dead)
    app.add_dependency(customers)
    decided = json_table(app, "decided", kafka)  # order_id → the OrderValidation published for it
    orders = raw_topic(app, Topics.ORDERS, prefix)
    validations = raw_topic(app, Topics.ORDER_VALIDATIONS, prefix)
    encode = serdes(Topics.ORDER_VALIDATIONS).encode

    async def on_order(item: Input, batch: Batch) -> Verdict | None:
        order = item.record
        if not checks.is_new(order):
            return None
        order_id = order["order_id"]
        validation = decided.get(order_id)
        if validation is None:
            found = rules.reasons(order, customers.get(order["customer_id"]))
            if rules.needs_reference(found) and not item.caught_up:
                return NEEDS_REFERENCE
            validation = rules.validation(order_id, found, now_ms())
            decided[order_id] = validation
        batch.send(validations, order_id, encode(validation))
        return None

    async def catch_up(written_ms: int) -> bool:
        return await customers.catch_up_since(written_ms, settings.reference_wait_s)

    decoders = {orders.get_topic_name(): serdes(Topics.ORDERS)}
    runner = BatchRunner(app, dead, decoders, on_order, settings, catch_up=catch_up)
    batch_agent(app, "details", orders, runner)
    return app
