"""The inventory processor: check INVENTORY, reservations, and the only writer of ``inventory``.

Stock lives with its sku, so an order's lines travel to their skus' partitions:

1. ``orders`` (by order_id) → one request per sku (reserve on CREATED, release on FAILED or
   CANCELLED, commit on SHIPPED) → internal ``-lines`` topic, keyed by sku;
2. ``-lines`` + ``inventory-levels`` (both by sku) → the sku's stock table, ``InventoryView``
   records, and per-line answers → internal ``-line-results`` topic, keyed by order_id;
3. ``-line-results`` (by order_id) → once every line answered: the ``OrderValidation``, and the
   release of whatever was reserved if any line did not fit (all or nothing).
"""

from __future__ import annotations

from typing import Any

import faust
import orjson
from faust.types import EventT, StreamT

from schemas.clock import now_ms
from schemas.topics import Topics
from stream_processors.common import checks
from stream_processors.common.app import (
    internal_topic,
    json_table,
    make_app,
    prepared_serdes,
    raw_topic,
    sources,
)
from stream_processors.common.dead_letters import DeadLetters, consume
from stream_processors.common.reference import ReferenceView
from stream_processors.inventory import rules
from stream_processors.inventory.settings import InventorySettings

SERVICE = "inventory"
NEEDS_REFERENCE = ("UNKNOWN_SKU:", "OUT_OF_STOCK:")


def create_app(settings: InventorySettings) -> faust.App:  # noqa: C901 - agents share the app's tables
    """The Faust app with its tables and three agents; nothing connects until the worker starts."""
    kafka = settings.kafka
    prefix = kafka.topic_prefix
    app = make_app(SERVICE, settings)
    serdes = prepared_serdes(app, settings, writes=[Topics.INVENTORY, Topics.ORDER_VALIDATIONS])
    dead = DeadLetters(app, SERVICE, prefix)
    levels = ReferenceView(kafka, serdes(Topics.INVENTORY_LEVELS), SERVICE)
    app.add_dependency(levels)
    stock = json_table(app, "stock", kafka)
    answers = json_table(app, "answers", kafka)
    closures = json_table(app, "closures", kafka)  # "<sku>/<order_id>" → RELEASED or COMMITTED
    lines = internal_topic(app, kafka, "lines")
    results = internal_topic(app, kafka, "line-results")
    views = raw_topic(app, Topics.INVENTORY, prefix)
    validations = raw_topic(app, Topics.ORDER_VALIDATIONS, prefix)
    orders_name = Topics.ORDERS.full_name(prefix)
    levels_name = Topics.INVENTORY_LEVELS.full_name(prefix)

    async def publish_view(sku: str, state: rules.Stock) -> None:
        stock[sku] = state
        await views.send(key=sku, value=serdes(Topics.INVENTORY).encode(rules.view(sku, state, now_ms())))

    async def on_order(event: EventT[bytes], order: dict[str, Any]) -> None:
        for request in rules.line_requests(order):
            await lines.send(key=request["sku"], value=orjson.dumps(request))

    async def reserve(
        request: dict[str, Any], state: rules.Stock, written_ms: int, closed_as: str | None
    ) -> tuple[bool, str | None, bool]:
        """Reserve, reading stock levels up to their end first if the answer would be no.

        ``written_ms``: when the request was written, after the order was posted; levels caught up
        as of then hold every PUT answered before the order.
        """
        sku, order_id, quantity = request["sku"], request["order_id"], request["quantity"]
        ok, reason, changed = rules.reserve(state, order_id, sku, quantity, closed_as)
        if ok or not (reason or "").startswith(NEEDS_REFERENCE):
            return ok, reason, changed
        await levels.catch_up_since(written_ms, settings.reference_wait_s)
        latest = levels.get(sku)
        if latest is None or not rules.set_level(state, latest["on_hand"], levels.offset(sku)):
            return ok, reason, changed
        ok, reason, _ = rules.reserve(state, order_id, sku, quantity, closed_as)
        return ok, reason, True

    async def on_line(event: EventT[bytes], record: dict[str, Any]) -> None:
        message = event.message
        sku = str(event.key)
        state = stock.get(sku) or rules.empty_stock()
        if message.topic == levels_name:
            if rules.set_level(state, record["on_hand"], message.offset):
                await publish_view(sku, state)
            return
        request = orjson.loads(message.value or b"")
        order_id = request["order_id"]
        closure_key = f"{sku}/{order_id}"
        closed_as = closures.get(closure_key)
        # A repeat (a worker crashed after its table write, before its outputs were sent)
        # publishes the view again: the first one may be lost. Stock levels apply by offset.
        repeated = rules.knows(state, order_id, closed_as)
        answer, closing = None, None
        if request["op"] == "reserve":
            ok, reason, changed = await reserve(request, state, int(message.timestamp * 1000), closed_as)
            answer = {**request, "ok": ok, "reason": reason}
        elif request["op"] == "release":
            changed, closing = rules.release(state, order_id, closed_as)
        else:
            changed, closing = rules.commit(state, order_id)
        if closing is not None:
            closures[closure_key] = closing  # a closed reservation is remembered even when nothing was held
        if changed or repeated:
            await publish_view(sku, state)
        if answer is not None:
            await results.send(key=order_id, value=orjson.dumps(answer))

    async def on_result(event: EventT[bytes], record: dict[str, Any]) -> None:
        answer = orjson.loads(event.message.value or b"")
        order_id = answer["order_id"]
        state = answers.get(order_id) or {"results": {}, "decided": False}
        repeated = state["decided"]
        if not repeated:
            state["results"][answer["sku"]] = answer
        decision = rules.decide(state["results"], answer["n"])
        if decision is None:
            answers[order_id] = state
            return
        # Decided once; a repeat sends the outcome again, in case a crash lost the first sending.
        passed, reasons = decision
        validation = checks.validation(order_id, "INVENTORY", reasons, now_ms())
        await validations.send(key=order_id, value=serdes(Topics.ORDER_VALIDATIONS).encode(validation))
        if not passed:
            for held in (a for a in state["results"].values() if a["ok"]):
                await lines.send(key=held["sku"], value=orjson.dumps({**held, "op": "release"}))
        if not repeated:
            answers[order_id] = {**state, "decided": True}

    @app.agent(raw_topic(app, Topics.ORDERS, prefix))
    async def orders_agent(stream: StreamT[bytes]) -> None:
        await consume(stream, {orders_name: serdes(Topics.ORDERS)}, dead, on_order)

    stock_inputs = {lines.get_topic_name(): None, levels_name: serdes(Topics.INVENTORY_LEVELS)}

    @app.agent(sources(app, stock_inputs, kafka.partitions))
    async def stock_agent(stream: StreamT[bytes]) -> None:
        await consume(stream, stock_inputs, dead, on_line)

    @app.agent(results)
    async def results_agent(stream: StreamT[bytes]) -> None:
        await consume(stream, {results.get_topic_name(): None}, dead, on_result)

    return app
