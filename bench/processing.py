"""Processing throughput: orders/s from CREATED to VALIDATED with every processor running.

The system (ingest-api, query-api and every Faust processor, ``tests.e2e.systems``) runs on a topic
prefix of its own. Customers and stock are written straight to their topics; then, for each run, the
``orders`` processor is stopped, a backlog of OrderPlaced records is written to order-requests, and
the processor is started again to drain it. Throughput is N / (time of the N-th order VALIDATED on
``orders`` - time of the run's first CREATED), both the records' Kafka timestamps. Every order
passes: distinct skus, totals of 300 cents, customers enough that none nears the fraud limit, ample
stock. The first backlog (smaller) is written while everything runs and is the warm-up.

Anchors in the same run (``bench.anchors``), on fresh topics of the same broker: (a) a minimal
aiokafka consume → decode → check → encode → produce loop, (b) the same step with Quix Streams, and
the same step as one of our Faust processors. Each figure is the median of ``runs`` runs after a
warm-up.

Profiling a drain (py-spy) put the largest share of every processor's samples in socket writes of
produce requests, one per record: Faust's producer defaults to no linger. The fix is the
processors' producer linger (``PROCESSOR_LINGER_MS``); the hop is measured with it off (before)
and at its default (after), in the same run. Since the batch runtime (2026-11-29) a batch's
outputs go out together (``DrainingProducer.send_now``); the lifecycle runs at the defaults. Each
lifecycle run records the CPU milliseconds every service and the broker spent per validated
order (``orders`` is restarted per run, so its figure includes its start-up).

``python -m bench.processing`` prints the figures as JSON (local Kafka and registry, started if needed).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.anchors import AnchorTopics, faust_hop, now_ms, order_placed, quix, raw_loop
from bench.common import Figure, figure, median_of
from bench.resources import CpuMeter, broker_pid
from infra.settings import KafkaSettings
from infra.topics import partitions_of
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics
from stream_processors.common.settings import ProcessorSettings
from tests.e2e.systems import PROCESSORS, start_system
from tests.helpers.processes import Running

SYSTEM_ORDERS = 20_000  # per measured run, as issue 12 measures the drain (about 3 minutes each)
WARMUP_ORDERS = 300
ANCHOR_RECORDS = 20_000
CUSTOMERS = 2_000  # ≤ 50 orders of 300 cents per customer over all runs: far below the fraud limit
SKUS = 30
STOCK = 10_000_000
RUN_TIMEOUT_S = 900.0  # a run that has not drained by then is reported as it stands (complete: false)
# the profiled bottleneck: one produce request per record; the fix is the processors' producer linger
BEFORE_LINGER_MS = "0"
AFTER_LINGER_MS = ProcessorSettings.model_fields["linger_ms"].default


async def _produce(kafka: KafkaSettings, topic: str, records: list[tuple[str, bytes]]) -> None:
    """Write ``(key, value)`` records to ``topic`` and wait for every ack."""
    producer = AIOKafkaProducer(**kafka.producer_options())
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key.encode()) for key, value in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def seed(kafka: KafkaSettings, serdes: Serdes) -> None:
    """Customers and stock levels, straight to their compacted topics."""
    t = now_ms()
    customers = serdes(Topics.CUSTOMERS)
    stock = serdes(Topics.INVENTORY_LEVELS)
    customer_records = [
        (
            f"c-{i}",
            customers.encode(
                {
                    "customer_id": f"c-{i}",
                    "name": "Bench",
                    "email": f"c{i}@example.com",
                    "tier": "BRONZE",
                    "blocked": False,
                    "updated_at": t,
                }
            ),
        )
        for i in range(CUSTOMERS)
    ]
    stock_records = [
        (f"s-{i}", stock.encode({"sku": f"s-{i}", "on_hand": STOCK, "updated_at": t})) for i in range(SKUS)
    ]
    asyncio.run(_produce(kafka, Topics.CUSTOMERS.full_name(kafka.topic_prefix), customer_records))
    asyncio.run(_produce(kafka, Topics.INVENTORY_LEVELS.full_name(kafka.topic_prefix), stock_records))


def backlog(serdes: Serdes, tag: str, orders: int) -> list[tuple[str, bytes]]:
    """``orders`` OrderPlaced records of run ``tag``, three distinct skus each, keyed by order_id."""
    placed = serdes(Topics.ORDER_REQUESTS)
    t = now_ms()
    records = []
    for i in range(orders):
        order_id = f"{tag}-{i}"
        skus = [f"s-{(i + k) % SKUS}" for k in range(3)]
        records.append((order_id, placed.encode(order_placed(order_id, f"c-{i % CUSTOMERS}", skus, t))))
    return records


class Watcher:
    """Reads ``orders`` from its current end: when a run's first order is CREATED and N VALIDATED."""

    def __init__(self, kafka: KafkaSettings, serdes: Serdes) -> None:
        self._kafka = kafka
        self._serde = serdes(Topics.ORDERS)
        self._topic = Topics.ORDERS.full_name(kafka.topic_prefix)
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        """Assign every partition and pin the positions at their ends, before the run's orders exist."""
        consumer = AIOKafkaConsumer(**self._kafka.client_options(), enable_auto_commit=False)
        await consumer.start()
        count = (await partitions_of(self._kafka, [self._topic])).get(self._topic, 0)
        partitions = [TopicPartition(self._topic, p) for p in range(count)]
        if not partitions:
            await consumer.stop()
            raise RuntimeError(f"topic {self._topic} has no partitions")
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)
        self._consumer = consumer

    async def wait(self, tag: str, orders: int, timeout_s: float) -> dict[str, Any]:
        """Run ``tag``'s outcome: orders/s = validated / (last VALIDATED - first CREATED), Kafka timestamps.

        Gives up after ``timeout_s`` and reports what was validated by then (``complete`` false).
        """
        assert self._consumer is not None, "start() first"  # noqa: S101 - a programming error, not input
        prefix = f"{tag}-"
        first_created: int | None = None
        validated: set[str] = set()
        last_validated, versions, failed = 0, 0, 0
        deadline = time.monotonic() + timeout_s
        try:
            while len(validated) < orders and time.monotonic() < deadline:
                batches = await self._consumer.getmany(timeout_ms=500, max_records=5_000)
                for batch in batches.values():
                    for msg in batch:
                        if msg.value is None or not msg.key or not msg.key.decode().startswith(prefix):
                            continue
                        versions += 1
                        order = self._serde.decode(msg.value)
                        if order["state"] == "CREATED":
                            first_created = min(first_created or msg.timestamp, msg.timestamp)
                        elif order["state"] == "VALIDATED" and order["order_id"] not in validated:
                            validated.add(order["order_id"])
                            last_validated = max(last_validated, msg.timestamp)
                        elif order["state"] == "FAILED":
                            failed += 1
        finally:
            await self._consumer.stop()
        seconds = (last_validated - first_created) / 1000 if first_created and validated else 0.0
        return {
            "orders_per_s": len(validated) / seconds if seconds > 0 else 0.0,
            "orders": orders,
            "validated": len(validated),
            "failed": failed,
            "complete": len(validated) >= orders,
            "seconds": round(seconds, 2),
            "order_versions": versions,
        }


def _watch(
    kafka: KafkaSettings, serdes: Serdes, tag: str, orders: int, write: Any, timeout_s: float
) -> dict[str, Any]:
    """Start a watcher at the end of ``orders``, call ``write()``, then wait for the run's outcome."""

    async def go() -> dict[str, Any]:
        watcher = Watcher(kafka, serdes)
        await watcher.start()
        await asyncio.to_thread(write)
        return await watcher.wait(tag, orders, timeout_s)

    return asyncio.run(go())


def system_runs(bootstrap: str, registry_url: str, runs: int, **env: str) -> list[dict[str, Any]]:
    """Outcomes of ``runs`` backlogs drained by the whole system, after a warm-up backlog.

    ``env`` adds settings for the services. The validation time-out is raised to an hour so that a
    slow drain shows as a low rate rather than as orders FAILED by the 30 s default. Each outcome
    carries the CPU milliseconds every service (and the broker) spent per validated order.
    """
    settings = {"ORDERS_VALIDATION_TIMEOUT_S": "3600", **env}
    with start_system(bootstrap, registry_url, PROCESSORS, tag="bench-processing-", **settings) as services:
        kafka = KafkaSettings(
            bootstrap_servers=bootstrap, topic_prefix=services["orders"].env["KAFKA_TOPIC_PREFIX"]
        )
        serdes = Serdes(kafka, RegistrySettings(registry_url=registry_url))
        requests = Topics.ORDER_REQUESTS.full_name(kafka.topic_prefix)
        try:
            seed(kafka, serdes)
            warm = backlog(serdes, "warm", WARMUP_ORDERS)
            produce_warm = lambda: asyncio.run(_produce(kafka, requests, warm))  # noqa: E731 - bound per loop turn, passed as a callback
            _watch(kafka, serdes, "warm", WARMUP_ORDERS, produce_warm, RUN_TIMEOUT_S)
            orders: Running = services["orders"]
            results = []
            for r in range(runs):
                tag = f"r{r}-{uuid.uuid4().hex[:6]}"
                records = backlog(serdes, tag, SYSTEM_ORDERS)

                def preload_and_restart(records: list[tuple[str, bytes]] = records) -> None:
                    orders.stop()
                    asyncio.run(_produce(kafka, requests, records))
                    orders.restart()
                    orders.wait_ready()

                pids = {name: s.proc.pid for name, s in services.items() if name != "orders"}
                meter = CpuMeter({**pids, "kafka broker": broker_pid()})
                outcome = _watch(kafka, serdes, tag, SYSTEM_ORDERS, preload_and_restart, RUN_TIMEOUT_S)
                cpu = meter.ms_per(outcome["validated"])
                orders_cpu = sum(psutil.Process(orders.proc.pid).cpu_times()[:2])
                cpu["orders"] = round(orders_cpu * 1000 / max(outcome["validated"], 1), 2)
                outcome["cpu_ms_per_order"] = cpu
                outcome["cpu_ms_per_order_total"] = round(sum(cpu.values()), 1)
                results.append(outcome)
            return results
        finally:
            serdes.close()


def anchor_runs(bootstrap: str, registry_url: str, runs: int) -> dict[str, list[float]]:
    """Records/s of each one-hop variant over one preloaded backlog (a new consumer group per run)."""
    topics = AnchorTopics(bootstrap, registry_url)
    asyncio.run(topics.create())
    asyncio.run(topics.preload(ANCHOR_RECORDS))
    variants: dict[str, Callable[[AnchorTopics, int], float]] = {
        "raw": raw_loop.run_once,
        "quix": quix.run_once,
        "faust before": lambda t, n: faust_hop.run_once(t, n, PROCESSOR_LINGER_MS=BEFORE_LINGER_MS),
        "faust after": faust_hop.run_once,
    }
    results: dict[str, list[float]] = {}
    for name, once in variants.items():
        once(topics, ANCHOR_RECORDS)  # warm-up
        results[name] = [once(topics, ANCHOR_RECORDS) for _ in range(runs)]
    return results


def run(bootstrap: str, registry_url: str, runs: int = 3) -> list[Figure]:
    """One hop against its anchors, and the whole lifecycle at the default settings."""
    hops = anchor_runs(bootstrap, registry_url, runs)
    raw, qx = median_of(hops["raw"]), median_of(hops["quix"])
    after = system_runs(bootstrap, registry_url, runs)
    note = f"{ANCHOR_RECORDS:,} OrderPlaced records"
    hop = "one hop: consume → decode → check → encode → produce"
    lifecycle = f"lifecycle CREATED→VALIDATED, every service, {SYSTEM_ORDERS:,}-order backlog"
    return [
        figure(f"{hop}, raw aiokafka loop, {note}", hops["raw"], "records/s"),
        figure(f"{hop}, Quix Streams, {note}", hops["quix"], "records/s", "raw aiokafka loop", raw),
        figure(
            f"{hop}, our Faust processor, linger 0 (before), {note}",
            hops["faust before"],
            "records/s",
            "Quix Streams",
            qx,
        ),
        figure(
            f"{hop}, our Faust processor (after), {note}",
            hops["faust after"],
            "records/s",
            "Quix Streams",
            qx,
        ),
        figure(
            f"{hop}, our Faust processor (after) vs raw loop",
            hops["faust after"],
            "records/s",
            "raw aiokafka loop",
            raw,
        ),
        figure(
            f"{lifecycle} (batch runtime, linger {AFTER_LINGER_MS} ms)",
            [r["orders_per_s"] for r in after],
            "orders/s",
            detail=after,
        ),
    ]


def main() -> None:
    """Start (or reuse) the local Kafka and registry, run the figure, print it as JSON."""
    from infra import local_kafka, local_registry

    bootstrap = local_kafka.start_single()
    registry_url = local_registry.start() + local_registry.CCOMPAT_PATH
    started = time.perf_counter()
    figures = run(bootstrap, registry_url, int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    print(json.dumps({"figures": figures, "elapsed_s": round(time.perf_counter() - started, 1)}, indent=2))


if __name__ == "__main__":
    main()
