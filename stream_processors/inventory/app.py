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

from schemas.clock import now_ms
from schemas.topics import Topics
from stream_processors.common import checks
from stream_processors.common.app import (
    bootstrap,
    internal_topic,
    json_table,
    raw_topic,
    sources,
)
from stream_processors.common.batch import NEEDS_REFERENCE, Batch, Input, Verdict
from stream_processors.common.reference import ReferenceView
from stream_processors.common.runtime import BatchRunner, batch_agent
from stream_processors.inventory import rules
from stream_processors.inventory.settings import InventorySettings

SERVICE = "inventory"


def create_app(settings: InventorySettings) -> faust.App:  # noqa: C901 - agents share the app's tables
    """The Faust app with its tables and three agents.

    Building it talks to the schema registry (the schemas it writes are registered, waiting for the
    registry) and may create its internal topics; its consumers and producers connect when the
    worker starts.
    """
    app, serdes, dead, kafka = bootstrap(
        SERVICE, settings, writes=[Topics.INVENTORY, Topics.ORDER_VALIDATIONS]
    )
    prefix = kafka.topic_prefix
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
    encode_view = serdes(Topics.INVENTORY).encode
    encode_validation = serdes(Topics.ORDER_VALIDATIONS).encode

    def publish_view(sku: str, state: rules.Stock, batch: Batch) -> None:
        """Store the sku's stock; its ``InventoryView`` goes out once per batch, the latest."""
        stock[sku] = state
        batch.latest(views, sku, encode_view(rules.view(sku, state, now_ms())))

    async def on_order(item: Input, batch: Batch) -> None:
        for request in rules.line_requests(item.record):
            batch.send(lines, request["sku"], orjson.dumps(request))

    def reserve(
        request: dict[str, Any], state: rules.Stock, caught_up: bool, closed_as: str | None
    ) -> tuple[bool, str | None, bool] | Verdict:
        """``rules.reserve_with_level`` with the sku's latest stock level read so far."""
        sku = request["sku"]
        latest = levels.get(sku)
        level = None if latest is None else (latest["on_hand"], levels.offset(sku))
        decided = rules.reserve_with_level(state, request, closed_as, level, caught_up)
        return NEEDS_REFERENCE if decided is None else decided

    async def on_line(item: Input, batch: Batch) -> Verdict | None:
        sku = str(item.key)
        state = stock.get(sku) or rules.empty_stock()
        if item.topic == levels_name:
            if rules.set_level(state, item.record["on_hand"], item.offset):
                publish_view(sku, state, batch)
            return None
        request = orjson.loads(item.value or b"")
        order_id = request["order_id"]
        closure_key = f"{sku}/{order_id}"
        closed_as = closures.get(closure_key)
        # A repeat (a worker crashed after its table write, before its outputs were sent)
        # publishes the view again: the first one may be lost. Stock levels apply by offset.
        repeated = rules.knows(state, order_id, closed_as)
        answer, closing = None, None
        if request["op"] == "reserve":
            reserved = reserve(request, state, item.caught_up, closed_as)
            if reserved is NEEDS_REFERENCE:
                return NEEDS_REFERENCE
            ok, reason, changed = reserved
            answer = {**request, "ok": ok, "reason": reason}
        elif request["op"] == "release":
            changed, closing = rules.release(state, order_id, closed_as)
        else:
            changed, closing = rules.commit(state, order_id)
        if closing is not None:
            closures[closure_key] = closing  # a closed reservation is remembered even when nothing was held
        if changed or repeated:
            publish_view(sku, state, batch)
        if answer is not None:
            batch.send(results, order_id, orjson.dumps(answer))
        return None

    async def on_result(item: Input, batch: Batch) -> None:
        answer = orjson.loads(item.value or b"")
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
        batch.send(validations, order_id, encode_validation(validation))
        for release in rules.releases(state["results"], passed):
            batch.send(lines, release["sku"], orjson.dumps(release))
        if not repeated:
            answers[order_id] = {**state, "decided": True}

    async def catch_up(written_ms: int) -> bool:
        return await levels.catch_up_since(written_ms, settings.reference_wait_s)

    order_serde = serdes(Topics.ORDERS)
    batch_agent(
        app,
        "orders",
        raw_topic(app, Topics.ORDERS, prefix),
        BatchRunner(app, dead, {orders_name: order_serde}, on_order, settings),
    )
    stock_inputs = {lines.get_topic_name(): None, levels_name: serdes(Topics.INVENTORY_LEVELS)}
    stock_runner = BatchRunner(app, dead, stock_inputs, on_line, settings, catch_up=catch_up)
    batch_agent(app, "stock", sources(app, stock_inputs, kafka.partitions), stock_runner)
    result_runner = BatchRunner(app, dead, {results.get_topic_name(): None}, on_result, settings)
    batch_agent(app, "results", results, result_runner)
    return app
