"""The order-details processor: the DETAILS check of every new order (one writer of its results).

It reads ``orders`` rather than ``order-requests``: a re-posted order_id is ignored by the orders
processor, so each order is checked once. Customers are a :class:`ReferenceView` on every worker,
and a decision is remembered per order_id so a redelivered order gets the same answer again.
An order that would fail for its customer waits, with the later orders of the same key, for one
catch-up of the customers shared by the whole batch (SPEC §3 "reference data first").
"""

from __future__ import annotations

from functools import partial

import faust

from schemas.clock import now_ms
from schemas.records import Customer, Order, OrderValidation
from schemas.topics import Topics
from stream_processors.common import checks
from stream_processors.common.batch import NEEDS_REFERENCE, Batch, Input, Verdict
from stream_processors.common.processor import bootstrap
from stream_processors.common.reference import ReferenceView
from stream_processors.order_details import rules
from stream_processors.order_details.settings import DetailsSettings

SERVICE = "order-details"


def create_app(settings: DetailsSettings) -> faust.App:
    """The Faust app with its customers view, its decisions table and its one agent."""
    processor = bootstrap(SERVICE, settings, writes=[Topics.ORDER_VALIDATIONS])
    customers: ReferenceView[Customer] = processor.reference(Topics.CUSTOMERS, dead_letters=True)
    # order_id → the OrderValidation published for it
    decided: faust.Table[str, OrderValidation] = processor.json_table("decided")
    orders = processor.topic(Topics.ORDERS)
    validations = processor.topic(Topics.ORDER_VALIDATIONS)
    encode = processor.serdes(Topics.ORDER_VALIDATIONS).encode

    async def on_order(item: Input, batch: Batch) -> Verdict | None:
        order = item.record_as(Order)
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

    catch_up = partial(customers.catch_up_since, timeout_s=settings.reference_wait_s)
    processor.agent("details", orders, on_order, processor.serdes(Topics.ORDERS), catch_up=catch_up)
    return processor.app
