"""The notifications processor: the only writer of ``notifications`` (the e-mails the shop sends).

One agent reads ``orders`` and ``order-rejections`` (both keyed by order_id, co-partitioned), so
each order's events are handled by one task, in order. A per-order table remembers what has been
notified; it is written only once the batch's notifications are acknowledged, so nothing is lost.
An event whose customer is not known yet waits, with the later events of its order, for one
catch-up of the customers shared by the whole batch; the other events go on (SPEC §3).
"""

from __future__ import annotations

from typing import Any

import faust

from schemas.topics import Topics
from stream_processors.common.app import bootstrap, json_table, raw_topic, sources
from stream_processors.common.batch import NEEDS_REFERENCE, Batch, Input, Verdict
from stream_processors.common.reference import ReferenceView
from stream_processors.common.runtime import BatchRunner, batch_agent
from stream_processors.notifications import rules
from stream_processors.notifications.outbox import Outbox
from stream_processors.notifications.settings import NotifySettings

SERVICE = "notifications"
INPUTS = (Topics.ORDERS, Topics.ORDER_REJECTIONS)


def create_app(settings: NotifySettings) -> faust.App:
    """The Faust app with its table, customers view and one agent.

    Building it talks to the schema registry (the schemas it writes are registered, waiting for the
    registry) and may create its internal topics; its consumers and producers connect when the
    worker starts.
    """
    app, serdes, dead, kafka = bootstrap(SERVICE, settings, writes=[Topics.NOTIFICATIONS])
    prefix = kafka.topic_prefix
    seen = json_table(app, "seen", kafka)  # order_id → last version, paid_cents, state; rejections
    customers = ReferenceView(kafka, serdes(Topics.CUSTOMERS), SERVICE, dead)
    app.add_dependency(customers)
    outbox = Outbox(
        raw_topic(app, Topics.NOTIFICATIONS, prefix), serdes(Topics.NOTIFICATIONS), customers, SERVICE
    )
    decoders: dict[str, Any] = {spec.full_name(prefix): serdes(spec) for spec in INPUTS}
    rejections = Topics.ORDER_REJECTIONS.full_name(prefix)

    async def on_event(item: Input, batch: Batch) -> Verdict | None:
        record = item.record
        order_id = record["order_id"]
        if item.key != order_id:
            raise ValueError(f"record key {item.key!r} is not its order_id {order_id!r}")
        # what this batch already decided for the order, written to the table after delivery
        before = batch.state[order_id] if order_id in batch.state else seen.get(order_id)
        if item.topic == rejections:
            decision = rules.on_rejection(record, before)
        else:
            decision = rules.on_order(record, before)
        if outbox.send(decision.drafts, batch, item.caught_up) is NEEDS_REFERENCE:
            return NEEDS_REFERENCE
        if decision.seen is not None:
            after = batch.state[order_id] = decision.seen
            batch.after_delivery(lambda: seen.__setitem__(order_id, after))
        return None

    async def catch_up(written_ms: int) -> bool:
        return await customers.catch_up_since(written_ms, settings.customer_wait_s)

    runner = BatchRunner(app, dead, decoders, on_event, settings, catch_up=catch_up)
    batch_agent(app, "notifications", sources(app, decoders, kafka.partitions), runner)
    return app
