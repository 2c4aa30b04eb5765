"""The notifications processor: the only writer of ``notifications`` (the e-mails the shop sends).

One agent reads ``orders`` and ``order-rejections`` (both keyed by order_id, co-partitioned), so
each order's events are handled by one task, in order. A per-order table remembers what has been
notified; it is updated only after the notifications are acknowledged, so nothing is lost.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.types import EventT, StreamT

from schemas.topics import Topics
from stream_processors.common.app import json_table, make_app, prepared_serdes, raw_topic, sources
from stream_processors.common.dead_letters import DeadLetters, consume
from stream_processors.common.reference import ReferenceView
from stream_processors.notifications import rules
from stream_processors.notifications.outbox import Outbox
from stream_processors.notifications.settings import NotifySettings

SERVICE = "notifications"
INPUTS = (Topics.ORDERS, Topics.ORDER_REJECTIONS)


def create_app(settings: NotifySettings) -> faust.App:
    """The Faust app with its table, customers view and one agent; nothing connects until it starts."""
    kafka = settings.kafka
    prefix = kafka.topic_prefix
    app = make_app(SERVICE, settings)
    serdes = prepared_serdes(app, settings, writes=[Topics.NOTIFICATIONS])
    dead = DeadLetters(app, SERVICE, prefix)
    seen = json_table(app, "seen", kafka)  # order_id → last version, paid_cents, state; rejections
    customers = ReferenceView(kafka, serdes(Topics.CUSTOMERS), SERVICE, dead)
    app.add_dependency(customers)
    outbox = Outbox(
        raw_topic(app, Topics.NOTIFICATIONS, prefix),
        serdes(Topics.NOTIFICATIONS),
        customers,
        SERVICE,
        settings.customer_wait_s,
    )
    decoders: dict[str, Any] = {spec.full_name(prefix): serdes(spec) for spec in INPUTS}
    rejections = Topics.ORDER_REJECTIONS.full_name(prefix)

    async def on_event(event: EventT[bytes], record: dict[str, Any]) -> None:
        order_id = record["order_id"]
        if event.key != order_id:
            raise ValueError(f"record key {event.key!r} is not its order_id {order_id!r}")
        before = seen.get(order_id)
        if event.message.topic == rejections:
            decision = rules.on_rejection(record, before)
        else:
            decision = rules.on_order(record, before)
        for draft in decision.drafts:
            await outbox.send(draft)
        if decision.seen is not None:
            seen[order_id] = decision.seen

    @app.agent(sources(app, decoders, kafka.partitions))
    async def notifications_agent(stream: StreamT[bytes]) -> None:
        await consume(stream, decoders, dead, on_event)

    return app
