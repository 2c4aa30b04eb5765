"""The orders processor's handler: one record of any input → table writes and outputs (SPEC §3).

State lives in three tables, all keyed by order_id on the order's partition: ``orders`` (whose
changelog *is* the ``orders`` topic), ``checks`` (undecided orders: checks passed so far, when
created, placed_at) and ``held`` (payments and actions that overtook their order). Two in-memory
indexes, rebuilt from those tables after every rebalance, keep the once-a-second tick from
scanning whole tables: the undecided orders and the held ones of each partition. The clock of the
validation time-out is :class:`rules.CheckProgress`, per partition and check.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, cast

import faust

from schemas import trace_context
from schemas.clock import EpochMillis, now_ms
from schemas.partitions import partition_of
from schemas.records import (
    CheckKind,
    Order,
    OrderAction,
    OrderPlaced,
    OrderRejection,
    OrderValidation,
    Payment,
    RejectedRequest,
)
from schemas.topics import Topics
from stream_processors.common.batch import Batch, Input
from stream_processors.orders import rules

Pending = tuple[int, int, frozenset[CheckKind]]  # created (epoch ms), placed_at (epoch ms), checks passed
PRUNE_STEPS_AT = 1024  # a check's progress steps kept before those no undecided order needs are dropped


@dataclass(frozen=True)
class Wiring:
    """The topics and knobs the handler needs, resolved once by ``create_app``."""

    names: Mapping[str, str]  # full topic name → TopicSpec name
    ticks: str
    rejections: faust.types.TopicT
    encode_rejection: Callable[[OrderRejection], bytes]
    partitions: int
    timeout_ms: int
    hold_ms: int


class Undecided(TypedDict):
    """An order whose checks are not all in (the ``checks`` table's value)."""

    passed: list[CheckKind]  # sorted
    # when it was created and placed; entries of earlier versions of this processor have neither
    created: NotRequired[EpochMillis]
    placed_at: NotRequired[EpochMillis]


#: the handler's tables: ``orders`` (its changelog the ``orders`` topic), ``checks``, ``held``
Tables = tuple[faust.Table[str, Order], faust.Table[str, Undecided], faust.Table[str, list[rules.Held]]]


class OrdersHandler:
    """Applies every input of the orders processor; see the module docstring."""

    def __init__(
        self,
        app: faust.App,
        wiring: Wiring,
        tables: Tables,
        dead_letter: Callable[..., Any],
    ) -> None:
        self.app = app
        self.wiring = wiring
        self.orders, self.checks, self.held = tables
        self.dead_letter = dead_letter
        self.generation = -1
        # partition → order id → (created, placed_at, checks passed), oldest first: ``checks``, indexed
        self.undecided: dict[int, dict[str, Pending]] = defaultdict(dict)
        self.holding: dict[int, dict[str, None]] = defaultdict(dict)
        self.progress: dict[tuple[int, CheckKind], rules.CheckProgress] = {}

    async def __call__(self, item: Input, batch: Batch) -> None:
        """Apply one record of order-requests, order-validations, payments, order-actions or ticks."""
        self._reindex_after_rebalance()
        if item.topic == self.wiring.ticks:
            await self.on_tick(item.partition, batch)
            return
        order_id = item.record["order_id"]  # whatever its schema, every input has one
        if item.key != order_id:
            raise ValueError(f"record key {item.key!r} is not its order_id {order_id!r}")
        spec = self.wiring.names[item.topic]
        now = now_ms()
        if spec == Topics.ORDER_REQUESTS.name:
            await self.on_placed(item.partition, item.record_as(OrderPlaced), now, batch)
        elif spec == Topics.ORDER_VALIDATIONS.name:
            self.on_validation(item.partition, item.record_as(OrderValidation), now)
        elif spec == Topics.PAYMENTS.name:
            self.on_request(item, spec, item.record_as(Payment), now, batch)
        else:
            self.on_request(item, spec, item.record_as(OrderAction), now, batch)

    async def on_placed(self, partition: int, placed: OrderPlaced, now: int, batch: Batch) -> None:
        """Create the order (unless its order_id exists), then apply what waited for it."""
        order_id = placed["order_id"]
        order = rules.place(self.orders.get(order_id), placed, now)
        if order is not None:
            self.orders[order_id] = order
            self.checks[order_id] = {"passed": [], "created": now, "placed_at": order["placed_at"]}
            self.undecided[partition][order_id] = (now, order["placed_at"], frozenset())
            await self.drain_held(order_id, batch)

    def on_validation(self, partition: int, record: OrderValidation, now: int) -> None:
        """Count a check's result once per check; every answer moves that check's clock."""
        order_id = record["order_id"]
        order: Order = self.orders[order_id]
        self._progress(partition, record["check"]).answered(order["placed_at"], now)
        state = self.checks.get(order_id)
        if state is None:
            return  # decided already: a FAILED or VALIDATED order never changes its validation outcome
        passed = set(state["passed"])
        outcome = rules.validate(order, passed, record, now)
        if outcome.versions or state["passed"] != sorted(passed):
            self.checks[order_id] = {**state, "passed": sorted(passed)}
        self.save(outcome)
        undecided = self.undecided[partition]
        if order_id in undecided:
            if order_id in self.checks:
                created, placed_at, _ = undecided[order_id]
                undecided[order_id] = (created, placed_at, frozenset(passed))
            else:
                del undecided[order_id]

    def on_request(
        self, item: Input, spec: str, record: Payment | OrderAction, now: int, batch: Batch
    ) -> None:
        """A payment or action: applied to its order, or held until the order exists (SPEC §3)."""
        order_id = record["order_id"]
        if order_id in self.orders:
            self.apply(spec, record, batch)
            return
        entry: rules.Held = {
            "spec": spec,
            "record": record,
            "held_at": now,
            "source": (item.topic, item.partition, item.offset),
            "value": base64.b64encode(item.value or b"").decode(),
            # its headers (trace context among them): its dead letter keeps them for a re-drive
            "headers": [[name, base64.b64encode(value).decode()] for name, value in _pairs(item)],
        }
        self.held[order_id] = rules.hold(self.held.get(order_id), entry)
        self.holding[item.partition][order_id] = None

    def apply(self, spec: str, record: Payment | OrderAction, batch: Batch) -> None:
        """A payment or action for a known order; ``spec``, its topic's, says which of the two it is."""
        order: Order = self.orders[record["order_id"]]
        now = now_ms()
        request: RejectedRequest
        if spec == Topics.PAYMENTS.name:
            payment = cast(Payment, record)
            outcome = rules.pay(order, payment, now)
            request, request_id = "PAYMENT", payment["payment_id"]
        else:
            action = cast(OrderAction, record)
            outcome = rules.act(order, action["action"], now)
            request, request_id = action["action"], action.get("action_id") or f"{action['requested_at']}"
        self.save(outcome)
        if outcome.rejection is not None:
            order_id = record["order_id"]
            rejection = rules.rejection(order, request_id, order_id, request, outcome.rejection, now)
            batch.send(self.wiring.rejections, order_id, self.wiring.encode_rejection(rejection))

    def save(self, outcome: rules.Outcome) -> None:
        """Publish each new version (one table write each); a decided order leaves ``checks``."""
        for version in outcome.versions:
            self.orders[version["order_id"]] = version
        if outcome.versions and outcome.versions[-1]["state"] != "CREATED":
            self.checks.pop(outcome.versions[-1]["order_id"], None)

    async def drain_held(self, order_id: str, batch: Batch) -> None:
        """Apply what waited for ``order_id``, removing each entry only once it is applied."""
        entries = list(self.held.get(order_id) or [])
        while entries:
            entry = entries.pop(0)
            self.apply(entry["spec"], entry["record"], batch)
            if entries:
                self.held[order_id] = entries
            else:
                self.held.pop(order_id, None)

    async def on_tick(self, partition: int, batch: Batch) -> None:
        """Time out lost checks and expire held requests of ``partition``."""
        now = now_ms()
        self.time_out(partition, now)
        for order_id in list(self.holding[partition]):
            entries = self.held.get(order_id)
            if not entries:
                del self.holding[partition][order_id]
            elif order_id in self.orders:
                await self.drain_held(order_id, batch)
                del self.holding[partition][order_id]
            else:
                await self.expire(order_id, entries, now, partition)

    def time_out(self, partition: int, now: int) -> None:
        """Fail the undecided orders whose missing checks are lost rather than late (SPEC §3)."""
        timeout_ms = self.wiring.timeout_ms
        undecided = self.undecided[partition]
        progress = {check: self._progress(partition, check) for check in rules.CHECKS}
        lost = []
        for order_id, (created, placed_at, passed) in undecided.items():
            if now - created < timeout_ms:
                break  # oldest first: no later order can be overdue yet
            if rules.overdue(created, placed_at, rules.CHECKS - passed, progress, now, timeout_ms):
                lost.append(order_id)
        for order_id in lost:
            del undecided[order_id]
            if order_id in self.checks:  # else decided already (cancelled, say)
                self.save(rules.time_out(self.orders[order_id], now))
                self.checks.pop(order_id, None)
        if any(len(seen.steps) > PRUNE_STEPS_AT for seen in progress.values()):
            lowest = min((placed_at for _, placed_at, _ in undecided.values()), default=now)
            for seen in progress.values():
                seen.forget_before(lowest)

    async def expire(self, order_id: str, entries: list[rules.Held], now: int, partition: int) -> None:
        """Dead-letter the held requests of an unknown order held longer than the hold time."""
        kept, expired = rules.split_expired(entries, now, self.wiring.hold_ms)
        for entry in expired:
            topic, part, offset = entry["source"]
            value = base64.b64decode(entry["value"])
            key = order_id.encode()
            headers = [(name, base64.b64decode(text)) for name, text in entry.get("headers", [])]
            trace = [(name, data) for name, data in headers if name in trace_context.FIELDS]
            error = "no such order"
            await self.dead_letter(topic, part, offset, key, value, "unmatched", error, trace, headers)
        if expired:
            if kept:
                self.held[order_id] = kept
            else:
                self.held.pop(order_id, None)
                del self.holding[partition][order_id]

    def _progress(self, partition: int, check: CheckKind) -> rules.CheckProgress:
        key = (partition, check)
        if key not in self.progress:
            self.progress[key] = rules.CheckProgress(started_ms=now_ms())
        return self.progress[key]

    def _reindex_after_rebalance(self) -> None:
        """After a rebalance, rebuild the indexes from the tables, which then hold every partition's state."""
        generation = self.app.consumer_generation_id
        if generation == self.generation:
            return
        self.generation = generation
        self.undecided.clear()
        self.holding.clear()
        self.progress.clear()  # every check gets a full time-out from now, as after a restart
        now = now_ms()
        pending = []
        for order_id, state in self.checks.items():
            created = int(state.get("created", now))
            entry = (created, int(state.get("placed_at", created)), frozenset(state["passed"]))
            pending.append((order_id, entry))
        for order_id, entry in sorted(pending, key=lambda kv: kv[1][0]):
            self.undecided[partition_of(order_id, self.wiring.partitions)][order_id] = entry
        for order_id in self.held.keys():
            self.holding[partition_of(order_id, self.wiring.partitions)][order_id] = None


def _pairs(item: Input) -> list[tuple[str, bytes]]:
    """The record's headers as (name, bytes) pairs, however Faust hands them over."""
    headers = item.event.message.headers or []
    return list(headers.items() if isinstance(headers, Mapping) else headers)
