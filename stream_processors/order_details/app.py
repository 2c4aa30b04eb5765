"""The order-details processor: the DETAILS check of every new order (one writer of its results).

It reads ``orders`` rather than ``order-requests``: a re-posted order_id is ignored by the orders
processor, so each order is checked once. Customers are a :class:`ReferenceView` on every worker,
and a decision is remembered per order_id so a redelivered order gets the same answer again.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.types import EventT, StreamT

from schemas.clock import now_ms
from schemas.topics import Topics
from stream_processors.common import checks
from stream_processors.common.app import json_table, make_app, prepared_serdes, raw_topic
from stream_processors.common.dead_letters import DeadLetters, consume
from stream_processors.common.reference import ReferenceView
from stream_processors.order_details import rules
from stream_processors.order_details.settings import DetailsSettings

SERVICE = "order-details"


def create_app(settings: DetailsSettings) -> faust.App:
    """The Faust app with its customers view, its decisions table and its one agent."""
    kafka = settings.kafka
    prefix = kafka.topic_prefix
    app = make_app(SERVICE, settings)
    serdes = prepared_serdes(app, settings, writes=[Topics.ORDER_VALIDATIONS])
    dead = DeadLetters(app, SERVICE, prefix)
    customers = ReferenceView(kafka, serdes(Topics.CUSTOMERS), SERVICE, dead)
    app.add_dependency(customers)
    decided = json_table(app, "decided", kafka)  # order_id → the OrderValidation published for it
    orders = raw_topic(app, Topics.ORDERS, prefix)
    validations = raw_topic(app, Topics.ORDER_VALIDATIONS, prefix)
    decoders = {orders.get_topic_name(): serdes(Topics.ORDERS)}

    async def decide(order: dict[str, Any]) -> list[str]:
        """The reasons, read again after the customers caught up if they fail the customer.

        Caught up as of the order's placed_at: any PUT answered before the POST is then applied.
        """
        found = rules.reasons(order, customers.get(order["customer_id"]))
        if rules.needs_reference(found):
            await customers.catch_up_since(order["placed_at"], settings.reference_wait_s)
            found = rules.reasons(order, customers.get(order["customer_id"]))
        return found

    async def on_order(event: EventT[bytes], order: dict[str, Any]) -> None:
        if not checks.is_new(order):
            return
        order_id = order["order_id"]
        validation = decided.get(order_id)
        if validation is None:
            validation = rules.validation(order_id, await decide(order), now_ms())
            decided[order_id] = validation
        await validations.send(key=order_id, value=serdes(Topics.ORDER_VALIDATIONS).encode(validation))

    @app.agent(orders)
    async def details_agent(stream: StreamT[bytes]) -> None:
        await consume(stream, decoders, dead, on_order)

    return app
