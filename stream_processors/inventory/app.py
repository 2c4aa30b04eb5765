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

from functools import partial

import faust
import orjson

from schemas.clock import now_ms
from schemas.records import InventoryLevel, Order
from schemas.topics import Topics
from stream_processors.common import checks
from stream_processors.common.batch import NEEDS_REFERENCE, Batch, Input, Verdict
from stream_processors.common.processor import Processor, bootstrap
from stream_processors.common.reference import ReferenceView
from stream_processors.inventory import rules
from stream_processors.inventory.settings import InventorySettings

SERVICE = "inventory"


class Inventory:
    """The three steps of the module docstring, over the app's tables, stock levels and topics."""

    def __init__(self, processor: Processor) -> None:
        # read here for their latest level per sku; the stock agent dead-letters what is unreadable
        self.levels: ReferenceView[InventoryLevel] = processor.reference(
            Topics.INVENTORY_LEVELS, dead_letters=False
        )
        self.stock: faust.Table[str, rules.Stock] = processor.json_table("stock")
        self.answers: faust.Table[str, rules.Answers] = processor.json_table("answers")
        # "<sku>/<order_id>" → how the order's reservation of the sku was closed
        self.closures: faust.Table[str, rules.Closure] = processor.json_table("closures")
        self.lines = processor.internal_topic("lines")
        self.results = processor.internal_topic("line-results")
        self.views = processor.topic(Topics.INVENTORY)
        self.validations = processor.topic(Topics.ORDER_VALIDATIONS)
        self.levels_name = processor.name(Topics.INVENTORY_LEVELS)
        self.encode_view = processor.serdes(Topics.INVENTORY).encode
        self.encode_validation = processor.serdes(Topics.ORDER_VALIDATIONS).encode

    async def on_order(self, item: Input, batch: Batch) -> None:
        """1. An order version → what it asks of each of its skus."""
        for request in rules.line_requests(item.record_as(Order)):
            batch.send(self.lines, request["sku"], orjson.dumps(request))

    async def on_line(self, item: Input, batch: Batch) -> Verdict | None:
        """2. A stock level or a line request → the sku's stock, its view, and the line's answer."""
        sku = str(item.key)
        state = self.stock.get(sku) or rules.empty_stock()
        if item.topic == self.levels_name:
            if rules.set_level(state, item.record_as(InventoryLevel)["on_hand"], item.offset):
                self.publish_view(sku, state, batch)
            return None
        request: rules.LineRequest = orjson.loads(item.value or b"")
        return self.on_request(sku, state, request, item.caught_up, batch)

    def on_request(
        self, sku: str, state: rules.Stock, request: rules.LineRequest, caught_up: bool, batch: Batch
    ) -> Verdict | None:
        """Reserve, release or commit a line of the sku's stock; a reservation is answered."""
        order_id = request["order_id"]
        closure_key = f"{sku}/{order_id}"
        closed_as = self.closures.get(closure_key)
        # A repeat (a worker crashed after its table write, before its outputs were sent)
        # publishes the view again: the first one may be lost. Stock levels apply by offset.
        repeated = rules.knows(state, order_id, closed_as)
        answer: rules.LineResult | None = None
        closing: rules.Closure | None = None
        if request["op"] == "reserve":
            reserved = self.reserve(request, state, caught_up, closed_as)
            if reserved is NEEDS_REFERENCE:
                return NEEDS_REFERENCE
            ok, reason, changed = reserved
            answer = {**request, "ok": ok, "reason": reason}
        elif request["op"] == "release":
            changed, closing = rules.release(state, order_id, closed_as)
        else:
            changed, closing = rules.commit(state, order_id)
        if closing is not None:
            self.closures[closure_key] = (
                closing  # a closed reservation is remembered even when nothing was held
            )
        if changed or repeated:
            self.publish_view(sku, state, batch)
        if answer is not None:
            batch.send(self.results, order_id, orjson.dumps(answer))
        return None

    def reserve(
        self, request: rules.LineRequest, state: rules.Stock, caught_up: bool, closed_as: rules.Closure | None
    ) -> tuple[bool, str | None, bool] | Verdict:
        """``rules.reserve_with_level`` with the sku's latest stock level read so far."""
        sku = request["sku"]
        latest = self.levels.get(sku)
        level = None if latest is None else (latest["on_hand"], self.levels.offset(sku))
        decided = rules.reserve_with_level(state, request, closed_as, level, caught_up)
        return NEEDS_REFERENCE if decided is None else decided

    def publish_view(self, sku: str, state: rules.Stock, batch: Batch) -> None:
        """Store the sku's stock; its ``InventoryView`` goes out once per batch, the latest."""
        self.stock[sku] = state
        batch.latest(self.views, sku, self.encode_view(rules.view(sku, state, now_ms())))

    async def on_result(self, item: Input, batch: Batch) -> None:
        """3. A line's answer → once every line answered, the order's validation (releases if it failed)."""
        answer: rules.LineResult = orjson.loads(item.value or b"")
        order_id = answer["order_id"]
        state = self.answers.get(order_id) or {"results": {}, "decided": False}
        repeated = state["decided"]
        if not repeated:
            state["results"][answer["sku"]] = answer
        decision = rules.decide(state["results"], answer["n"])
        if decision is None:
            self.answers[order_id] = state
            return
        # Decided once; a repeat sends the outcome again, in case a crash lost the first sending.
        passed, reasons = decision
        validation = checks.validation(order_id, "INVENTORY", reasons, now_ms())
        batch.send(self.validations, order_id, self.encode_validation(validation))
        for release in rules.releases(state["results"], passed):
            batch.send(self.lines, release["sku"], orjson.dumps(release))
        if not repeated:
            self.answers[order_id] = {**state, "decided": True}


def create_app(settings: InventorySettings) -> faust.App:
    """The Faust app with its tables and three agents."""
    processor = bootstrap(SERVICE, settings, writes=[Topics.INVENTORY, Topics.ORDER_VALIDATIONS])
    inventory = Inventory(processor)
    orders = processor.topic(Topics.ORDERS)
    processor.agent("orders", orders, inventory.on_order, processor.serdes(Topics.ORDERS))
    stock_inputs = {
        inventory.lines.get_topic_name(): None,
        inventory.levels_name: processor.serdes(Topics.INVENTORY_LEVELS),
    }
    catch_up = partial(inventory.levels.catch_up_since, timeout_s=settings.reference_wait_s)
    processor.merged_agent("stock", stock_inputs, inventory.on_line, catch_up=catch_up)
    processor.agent("results", inventory.results, inventory.on_result)
    return processor.app
