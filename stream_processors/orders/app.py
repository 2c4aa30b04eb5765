"""The orders processor: the only writer of ``orders`` (the canonical order state).

Its ``orders`` table's changelog *is* the ``orders`` topic, so updating an order and publishing
the new ``Order`` are one write. One agent reads every input (they are all keyed by order_id and
co-partitioned) plus a tick topic for time-outs, so each order is changed by one task, in order.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import faust
from faust.types import EventT, StreamT

from schemas.clock import now_ms
from schemas.topics import Topics
from stream_processors.common.app import (
    internal_topic,
    json_table,
    make_app,
    partition_of,
    prepared_serdes,
    raw_topic,
    record_table,
    sources,
)
from stream_processors.common.dead_letters import DeadLetters, consume
from stream_processors.orders import rules
from stream_processors.orders.settings import OrdersSettings

SERVICE = "orders"
INPUTS = (Topics.ORDER_REQUESTS, Topics.ORDER_VALIDATIONS, Topics.PAYMENTS, Topics.ORDER_ACTIONS)


def create_app(settings: OrdersSettings) -> faust.App:  # noqa: C901 - the handlers share the app's tables
    """The Faust app with its tables and its one agent; nothing connects until the worker starts."""
    kafka = settings.kafka
    prefix = kafka.topic_prefix
    app = make_app(SERVICE, settings)
    serdes = prepared_serdes(app, settings, writes=[Topics.ORDERS, Topics.ORDER_REJECTIONS])
    dead = DeadLetters(app, SERVICE, prefix)
    orders = record_table(app, "orders", serdes(Topics.ORDERS), kafka, changelog=Topics.ORDERS)
    checks = json_table(app, "checks", kafka)  # undecided orders: checks passed so far, deadline
    held = json_table(app, "held", kafka)  # payments/actions that overtook their order
    rejections = raw_topic(app, Topics.ORDER_REJECTIONS, prefix)
    ticks = internal_topic(app, kafka, "ticks", retention=timedelta(hours=1))
    decoders: dict[str, Any] = {spec.full_name(prefix): serdes(spec) for spec in INPUTS}
    decoders[ticks.get_topic_name()] = None
    names = {spec.full_name(prefix): spec for spec in INPUTS}
    timeout_ms = int(settings.validation_timeout_s * 1000)
    reannounce_ms = int(settings.reannounce_after_s * 1000)
    hold_ms = int(settings.hold_unmatched_s * 1000)

    def save(outcome: rules.Outcome) -> None:
        for version in outcome.versions:
            orders[version["order_id"]] = version
        if outcome.versions and outcome.versions[-1]["state"] != "CREATED":
            checks.pop(outcome.versions[-1]["order_id"], None)

    async def reject(
        order: dict[str, Any] | None, order_id: str, request_id: str, request: str, reason: str
    ) -> None:
        record = rules.rejection(order, request_id, order_id, request, reason, now_ms())
        await rejections.send(key=order_id, value=serdes(Topics.ORDER_REJECTIONS).encode(record))

    async def apply(spec_name: str, record: dict[str, Any]) -> None:
        order = orders[record["order_id"]]
        if spec_name == Topics.PAYMENTS.name:
            outcome = rules.pay(order, record, now_ms())
            request, request_id = "PAYMENT", record["payment_id"]
        else:
            outcome = rules.act(order, record["action"], now_ms())
            request, request_id = record["action"], record.get("action_id") or f"{record['requested_at']}"
        save(outcome)
        if outcome.rejection is not None:
            await reject(order, record["order_id"], request_id, request, outcome.rejection)

    async def drain_held(order_id: str) -> None:
        for entry in held.pop(order_id, []):
            await apply(entry["spec"], entry["record"])

    async def on_event(event: EventT[bytes], record: dict[str, Any]) -> None:
        message = event.message
        if message.topic == ticks.get_topic_name():
            await on_tick(message.partition)
            return
        spec = names[message.topic]
        if event.key != record["order_id"]:
            raise ValueError(f"record key {event.key!r} is not its order_id {record['order_id']!r}")
        order_id = record["order_id"]
        now = now_ms()
        if spec is Topics.ORDER_REQUESTS:
            order = rules.place(orders.get(order_id), record, now)
            if order is not None:
                orders[order_id] = order
                checks[order_id] = {"passed": [], "deadline": now + timeout_ms}
                await drain_held(order_id)
        elif spec is Topics.ORDER_VALIDATIONS:
            order = orders[order_id]
            state = checks.get(order_id) or {"passed": [], "deadline": now + timeout_ms}
            passed = set(state["passed"])
            outcome = rules.validate(order, passed, record, now)
            if outcome.versions or state["passed"] != sorted(passed):
                checks[order_id] = {**state, "passed": sorted(passed)}
            save(outcome)
        elif order_id in orders:
            await apply(spec.name, record)
        else:
            entry = {
                "spec": spec.name,
                "record": record,
                "held_at": now,
                "source": [message.topic, message.partition, message.offset],
                "value": base64.b64encode(message.value or b"").decode(),
            }
            held[order_id] = [*held.get(order_id, []), entry]

    async def on_tick(partition: int) -> None:
        now = now_ms()
        for order_id, state in list(checks.items()):
            if partition_of(order_id, kafka.partitions) == partition:
                order = orders.get(order_id)
                if order is None or order["state"] != "CREATED":
                    checks.pop(order_id, None)
                    continue
                outcome = rules.time_out(order, state["deadline"], now)
                save(outcome)
                if (
                    not outcome.versions
                    and "announced" not in state
                    and now >= order["updated_at"] + reannounce_ms
                ):
                    # a validator may have lost the request (a worker crash between fetch and commit):
                    # the same version once more; validators answer repeats idempotently. Once only,
                    # so a backlog is at worst read twice, never snowballs.
                    orders[order_id] = order
                    checks[order_id] = {**state, "announced": now}
        for order_id, entries in list(held.items()):
            if partition_of(order_id, kafka.partitions) != partition:
                continue
            if order_id in orders:
                await drain_held(order_id)
            elif all(now - e["held_at"] >= hold_ms for e in entries):
                for e in held.pop(order_id):
                    topic, part, offset = e["source"]
                    value = base64.b64decode(e["value"])
                    await dead.send_raw(
                        topic, part, offset, order_id.encode(), value, "unmatched", "no such order"
                    )

    @app.agent(sources(app, decoders, kafka.partitions))
    async def orders_agent(stream: StreamT[bytes]) -> None:
        await consume(stream, decoders, dead, on_event)

    async def tick() -> None:
        for partition in range(kafka.partitions):
            await ticks.send(value=b"", partition=partition)

    app.timer(interval=settings.tick_interval_s)(tick)
    return app
