"""The notifications processor: the only writer of ``notifications`` (the e-mails the shop sends).

One agent reads ``orders`` and ``order-rejections`` (both keyed by order_id, co-partitioned), so
each order's events are handled by one task, in order. A per-order table remembers what has been
notified; it is written only once the batch's notifications are acknowledged, so nothing is lost.
An event whose customer is not known yet waits, with the later events of its order, for one
catch-up of the customers shared by the whole batch; the other events go on (SPEC §3).
"""

from __future__ import annotations

from functools import partial

import faust

from schemas.records import Customer, Order, OrderRejection
from schemas.topics import Topics
from stream_processors.common.batch import NEEDS_REFERENCE, Batch, Input, Verdict
from stream_processors.common.processor import bootstrap
from stream_processors.common.reference import ReferenceView
from stream_processors.notifications import rules
from stream_processors.notifications.outbox import Outbox
from stream_processors.notifications.settings import NotifySettings

SERVICE = "notifications"
INPUTS = (Topics.ORDERS, Topics.ORDER_REJECTIONS)


def create_app(settings: NotifySettings) -> faust.App:
    """The Faust app with its table, customers view and one agent."""
    processor = bootstrap(SERVICE, settings, writes=[Topics.NOTIFICATIONS])
    seen: faust.Table[str, rules.Seen] = processor.json_table("seen")  # order_id → what was notified
    customers: ReferenceView[Customer] = processor.reference(Topics.CUSTOMERS, dead_letters=True)
    notifications = processor.topic(Topics.NOTIFICATIONS)
    outbox = Outbox(notifications, processor.serdes(Topics.NOTIFICATIONS), customers, SERVICE)
    rejections = processor.name(Topics.ORDER_REJECTIONS)

    async def on_event(item: Input, batch: Batch) -> Verdict | None:
        if item.topic == rejections:
            rejection = item.record_as(OrderRejection)
            return notify(item, batch, rejection["order_id"], partial(rules.on_rejection, rejection))
        order = item.record_as(Order)
        return notify(item, batch, order["order_id"], partial(rules.on_order, order))

    def notify(item: Input, batch: Batch, order_id: str, decide: rules.Decide) -> Verdict | None:
        if item.key != order_id:
            raise ValueError(f"record key {item.key!r} is not its order_id {order_id!r}")
        # what this batch already decided for the order, written to the table after delivery
        before: rules.Seen | None = batch.state[order_id] if order_id in batch.state else seen.get(order_id)
        decision = decide(before)
        if outbox.send(decision.drafts, batch, item.caught_up) is NEEDS_REFERENCE:
            return NEEDS_REFERENCE
        if decision.seen is not None:
            after = batch.state[order_id] = decision.seen
            batch.after_delivery(lambda: seen.__setitem__(order_id, after))
        return None

    decoders = {processor.name(spec): processor.serdes(spec) for spec in INPUTS}
    catch_up = partial(customers.catch_up_since, timeout_s=settings.customer_wait_s)
    processor.merged_agent("notifications", decoders, on_event, catch_up=catch_up)
    return processor.app
