"""The ledger check: every acknowledged event is reflected once in the final state (SPEC §5).

It reads the ``orders`` and ``order-rejections`` topics to their end, counts ``dead-letters`` and asks
query-api for each sku's stock, then compares with what the driver's ledger says was acknowledged:

- lost: an acknowledged order with no record on ``orders``; or an acknowledged payment or cancel
  the final state does not show; or an acknowledged SHIP neither applied nor rejected;
- doubled: a version written twice with different contents, a version skipped, or paid_cents
  above the sum of the payments sent for the order;
- unsettled: an acknowledged order still CREATED (VALIDATED counts as settled: the mix pays
  only some orders, so an unpaid VALIDATED order is at rest);
- inventory: reserved = Σ quantities of the orders holding a reservation (VALIDATED, PAID), and
  on_hand = the level set − Σ quantities shipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from infra.settings import KafkaSettings
from infra.topics import partitions_of
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics, TopicSpec
from tests.reliability.driver import Ledger

log = logging.getLogger(__name__)
HOLDING = frozenset({"VALIDATED", "PAID"})
COMPARED = ("state", "paid_cents", "reasons")


@dataclass
class Verdict:
    """What the check found; ``problems`` empty means SPEC §5 held."""

    orders_driven: int = 0
    acked_orders: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)
    inventory: list[str] = field(default_factory=list)
    dead_letters: int = 0
    repeated: list[str] = field(default_factory=list)
    validation_timeouts: int = 0

    def problems(self) -> list[str]:
        """Every broken promise, one line each."""
        return [
            *(f"lost: {x}" for x in self.lost),
            *(f"doubled: {x}" for x in self.doubled),
            *(f"unsettled: {x}" for x in self.unsettled),
            *(f"inventory: {x}" for x in self.inventory),
            *(f"repeated: {x}" for x in self.repeated),
        ]

    def summary(self) -> dict[str, Any]:
        """The figures, for printing and reports."""
        return {
            "orders_driven": self.orders_driven,
            "acked_orders": self.acked_orders,
            "statuses": self.statuses,
            "final_states": self.states,
            "lost": len(self.lost),
            "doubled": len(self.doubled),
            "unsettled": len(self.unsettled),
            "inventory_mismatches": len(self.inventory),
            "dead_letters": self.dead_letters,
            "repeated_versions": len(self.repeated),
            "validation_timeouts": self.validation_timeouts,
        }


async def read_topic(
    kafka: KafkaSettings, serdes: Serdes, spec: TopicSpec
) -> list[tuple[str, dict[str, Any]]]:
    """Every (key, decoded value) of ``spec`` from the beginning up to the end offsets seen now."""
    serde = serdes(spec) if spec.value is not None else None
    topic = spec.full_name(kafka.topic_prefix)
    count = (await partitions_of(kafka, [topic])).get(topic, 0)
    partitions = [TopicPartition(topic, p) for p in range(count)]
    consumer = AIOKafkaConsumer(
        **kafka.client_options(), group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[tuple[str, dict[str, Any]]] = []
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        pending = {tp for tp, end in ends.items() if end > 0}
        while pending:
            for tp, messages in (await consumer.getmany(*pending, timeout_ms=1000)).items():
                for m in messages:
                    if m.offset < ends[tp]:
                        key = (m.key or b"").decode()
                        found.append((key, serde.decode(m.value) if serde else {"bytes": m.value}))
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()
    return found


def _versions(order_id: str, records: list[dict[str, Any]], verdict: Verdict) -> dict[str, Any]:
    """The order's last version; a fork (same version, different contents) or a gap is a double.

    A version published twice alike breaks SPEC §3 ("each version is published once") too.
    """
    by_version: dict[int, dict[str, Any]] = {}
    for record in records:
        seen = by_version.get(record["version"])
        if seen is None:
            by_version[record["version"]] = record
        elif any(seen[k] != record[k] for k in COMPARED):
            verdict.doubled.append(f"{order_id} version {record['version']} written twice, differently")
        else:
            verdict.repeated.append(f"{order_id} version {record['version']} published twice")
    if sorted(by_version) != list(range(1, len(by_version) + 1)):
        verdict.doubled.append(f"{order_id} versions {sorted(by_version)} are not 1..n")
    return by_version[max(by_version)]


def _follow_ups(ledger: Ledger, order_id: str, last: dict[str, Any], rejected: set[str], v: Verdict) -> None:
    """Payments, cancels and ships acknowledged for the order are in its final state, once."""
    payments = ledger.for_order(order_id, "payment")
    acked = sum(int((p.body or {})["amount_cents"]) for p in payments if p.acked)
    maybe = sum(int((p.body or {})["amount_cents"]) for p in payments if p.maybe)
    state, paid, total = last["state"], last["paid_cents"], last["total_cents"]
    if paid > acked + maybe:
        v.doubled.append(f"{order_id} paid_cents {paid} > {acked + maybe} sent")
    if state in {"PAID", "SHIPPED"} and paid < acked:
        v.lost.append(f"{order_id} {state} paid_cents {paid} < {acked} acknowledged")
    if state == "VALIDATED" and acked >= total:
        v.lost.append(f"{order_id} VALIDATED although {acked} of {total} cents were acknowledged")
    if any(c.acked for c in ledger.for_order(order_id, "cancel")) and state not in {"CANCELLED", "FAILED"}:
        v.lost.append(f"{order_id} cancel acknowledged, state {state}")
    if any(c.acked for c in ledger.for_order(order_id, "ship")):
        if state == "PAID" and "SHIP" not in rejected:
            v.lost.append(f"{order_id} ship acknowledged, PAID, and no rejection")


def _expected_stock(ledger: Ledger, last: dict[str, dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """sku → (on_hand, reserved) the final orders imply."""
    reserved: Counter[str] = Counter()
    shipped: Counter[str] = Counter()
    for order in last.values():
        for line in order["items"]:
            if order["state"] in HOLDING:
                reserved[line["sku"]] += line["quantity"]
            elif order["state"] == "SHIPPED":
                shipped[line["sku"]] += line["quantity"]
    return {sku: (level - shipped[sku], reserved[sku]) for sku, level in ledger.stock.items()}


async def _check_stock(query: httpx.AsyncClient, expected: dict[str, tuple[int, int]]) -> list[str]:
    """Skus whose query-api numbers differ from ``expected``."""
    wrong = []
    for sku, (on_hand, reserved) in sorted(expected.items()):
        r = await query.get(f"/v1/inventory/{sku}")
        view = r.json() if r.status_code == 200 else {}
        want = {"on_hand": on_hand, "reserved": reserved, "available": on_hand - reserved}
        got = {k: view.get(k) for k in want}
        if got != want:
            wrong.append(f"{sku}: expected {want}, query-api has {got}")
    return wrong


async def check_once(
    ledger: Ledger, kafka: KafkaSettings, registry: RegistrySettings, query: httpx.AsyncClient
) -> Verdict:
    """One pass of the check over what Kafka and query-api hold now."""
    verdict = Verdict(
        orders_driven=ledger.orders_driven(),
        acked_orders=len(ledger.acked_orders),
        statuses=dict(sorted(ledger.statuses().items())),
    )
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rejected: dict[str, set[str]] = defaultdict(set)
    with Serdes(kafka, registry) as serdes:
        for key, record in await read_topic(kafka, serdes, Topics.ORDERS):
            history[key].append(record)
        for key, record in await read_topic(kafka, serdes, Topics.ORDER_REJECTIONS):
            rejected[key].add(record["request"])
        verdict.dead_letters = len(await read_topic(kafka, serdes, Topics.DEAD_LETTERS))
    last = {order_id: _versions(order_id, records, verdict) for order_id, records in history.items()}
    for order_id in ledger.acked_orders:
        if order_id not in last:
            verdict.lost.append(f"{order_id} acknowledged, never on orders")
            continue
        if last[order_id]["state"] == "CREATED":
            verdict.unsettled.append(f"{order_id} still CREATED")
        _follow_ups(ledger, order_id, last[order_id], rejected[order_id], verdict)
    verdict.states = dict(sorted(Counter(o["state"] for o in last.values()).items()))
    verdict.validation_timeouts = sum(1 for o in last.values() if "VALIDATION_TIMEOUT" in o["reasons"])
    verdict.inventory = await _check_stock(query, _expected_stock(ledger, last))
    return verdict


async def settle_and_check(
    ledger: Ledger,
    kafka: KafkaSettings,
    registry: RegistrySettings,
    query: httpx.AsyncClient,
    timeout_s: float = 120,
    stable_s: float = 30,
) -> tuple[Verdict, float]:
    """Check until no problem is left, or the same problems stayed ``stable_s`` with every order
    settled, or ``timeout_s`` ran out; the last verdict and the seconds taken."""
    started = time.monotonic()
    previous: list[str] = []
    since = started
    while True:
        verdict = await check_once(ledger, kafka, registry, query)
        now = time.monotonic()
        log.info("check: %s; first problems %s", verdict.summary(), verdict.problems()[:3])
        if verdict.problems() != previous:
            previous, since = verdict.problems(), now
        stuck = not verdict.unsettled and now - since >= stable_s
        if not previous or stuck or now - started > timeout_s:
            return verdict, now - started
        await asyncio.sleep(3)
