"""Steady load: CPU and Kafka requests per order, and POST→VALIDATED latency, at 20 and 100 orders/s.

**A broker of its own.** The whole system (ingest-api, query-api, every processor: ``tests.e2e.systems``)
runs on a fresh single node started for this section (PLAINTEXT 9192, controller 9193, data in
``.local/kafka/single-9192``, wiped at every start, stopped at the end), with remote JMX on loopback
port 9199 (the launcher's opt-in, ``infra.local_kafka.layout.single_spec(jmx_port=…)``). The shared
broker on 9092 cannot serve: it runs without JMX, and other engineers' tests talk to it, so its
request counters and its CPU would count their clients too. Here every Kafka client is one of the
system's (the schema registry is shared, but only reached over HTTP and its answers are cached).

**Load.** ``bench.latency.offer`` (on uvloop): one asyncio process POSTs ``/v1/orders`` at a fixed
rate (a task per order, on time whatever the answers do; an order falling due while
``MAX_IN_FLIGHT`` POSTs are unanswered is skipped and counted, never queued) and listens to
query-api's ``/v1/stream`` for each order VALIDATED, so latency is from the client's clock. 100
calls/s is within one Python client's reach, but not free on 2 cores: its own CPU per order is
reported beside (``load generator``), never in the total. A warm-up first; then, per rate, ``runs``
runs; each run seeds its customers and stock, offers ``SETTLE_S``, then measures a window of
``WINDOW_S`` while the load goes on:

- Kafka requests: Kafka's ``JmxTool --one-time true`` reads the ``Count`` of every
  ``kafka.network:type=RequestMetrics,name=RequestsPerSec,request=*,*`` MBean (one per request type
  and version: ``request=*`` alone matches none, the MBeans also carry ``version``) before and after
  the window; requests per order = Δ of the counts (all request types and versions, the broker's own
  BrokerHeartbeat to its controller, ~0.5/s, included) / the orders decided between the two
  readings' own timestamps. The broker counts each Fetch twice, as ``Fetch`` and again as
  ``FetchConsumer`` or ``FetchFollower``: those two are left out of the total and the breakdown.
- CPU: psutil user + system time of every service process and of the broker, over the window, /
  the orders decided in that window; per process as well.
- Orders decided: orders whose first VALIDATED or FAILED version on ``orders`` has its Kafka
  timestamp (the orders processor's clock, this host) in the window. ``orders`` is read once at the
  end, after the last reading, so the reader's own fetches are not counted.
- Latency: ``bench.latency``'s p50/p99 over every order of the run (the settle included).

Each run also records the orders decided per second in the window and ``steady``: at least
``STEADY_SHARE`` of the offered rate, nothing skipped. A run that is not steady measured the system
saturated: its per-order figures are then those at the rate it managed, not at the rate offered.
And how busy the whole machine was (``machine_busy_cores``, ``ours_cores``, ``other_cores``: CPU of
processes not ours, in cores): this machine is shared, and what others run there moves every figure.

``python -m bench.steady [--runs 3] [--quick]`` prints the figures as JSON (the shared registry is
started if needed; the broker of its own always is).
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import functools
import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench import latency
from bench.common import Figure, figure, java_tool, median_of, run_command, run_loop
from bench.resources import CpuMeter, broker_pid
from infra import local_kafka
from infra.local_kafka.layout import NodeSpec, kafka_dir, single_spec
from infra.settings import KafkaSettings
from infra.topics import partitions_of
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics
from tests.e2e.systems import PROCESSORS, start_system

log = logging.getLogger("bench.steady")

KAFKA_PORT = 9192  # PLAINTEXT; the controller takes 9193
JMX_PORT = 9199
RATES = (20.0, 100.0)
SETTLE_S = 5.0  # of load before the window opens
WINDOW_S = 15.0
WARMUP_S = 5.0
QUICK_WINDOW_S = 8.0
JMX_TIMEOUT_S = 60.0
MAX_IN_FLIGHT = 100  # unanswered POSTs (1 s of orders at 100/s): past that, orders due are skipped
STEADY_SHARE = 0.9  # decided/s in the window at least this share of the offered rate: steady
LOAD = "load generator (not in the total)"
BROKER = "kafka broker"
REQUESTS_MBEANS = "kafka.network:type=RequestMetrics,name=RequestsPerSec,request=*,*"
_REQUEST = re.compile(r"[:,]request=([^,:]+)")
# the broker marks every Fetch twice: as Fetch and as FetchConsumer or FetchFollower (by sender)
FETCH_SPLITS = frozenset({"FetchConsumer", "FetchFollower"})
DECIDED = frozenset({"VALIDATED", "FAILED"})


def read_requests(jmx_url: str) -> tuple[int, dict[str, int]]:
    """The broker's request counts by request type (all versions summed) and when JmxTool read them (ms)."""
    out = run_command(
        java_tool(
            "org.apache.kafka.tools.JmxTool", "--jmx-url", jmx_url, "--object-name", REQUESTS_MBEANS,
            "--attributes", "Count", "--one-time", "true", "--report-format", "csv",
            heap="-Xmx128m",
        ),
        JMX_TIMEOUT_S,
    )  # fmt: skip
    return parse_requests(out)


def parse_requests(out: str) -> tuple[int, dict[str, int]]:
    """Parse JmxTool's csv report: ``time,"<ms>"`` then ``<mbean>:Count,"<n>"`` lines."""
    read_at: int | None = None
    counts: dict[str, int] = {}
    for line in out.splitlines():
        name, _, raw = line.rpartition(",")
        value = raw.strip().strip('"')
        if name == "time":
            read_at = int(value)
        elif (found := _REQUEST.search(name)) and name.endswith(":Count"):
            counts[found.group(1)] = counts.get(found.group(1), 0) + int(float(value))
    if read_at is None or not counts:
        raise RuntimeError(f"JmxTool printed no request counts:\n{out[-2000:]}")
    return read_at, counts


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (every core; idle and iowait left out).

    Linux counts guest time inside user time as well: it is left out once.
    """
    times = psutil.cpu_times()
    apart = ("idle", "iowait", "guest", "guest_nice")
    return float(sum(times) - sum(getattr(times, name, 0.0) for name in apart))


@dataclass
class Window:
    """What one run measured around its window of steady load (times are wall-clock ms)."""

    requests_from_ms: int = 0
    requests_to_ms: int = 0
    requests: dict[str, int] = field(default_factory=dict)
    cpu_from_ms: int = 0
    cpu_to_ms: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)
    machine_busy_s: float = 0.0
    loadavg_1m: float = 0.0  # at the window's end


async def measure(jmx_url: str | None, pids: dict[str, int], window_s: float, into: Window) -> None:
    """After ``SETTLE_S``: a JMX reading, a CPU window of ``window_s``, a JMX reading (into ``into``)."""
    if jmx_url is None:
        raise ValueError("the broker exposes no JMX port")
    await asyncio.sleep(SETTLE_S)
    into.requests_from_ms, before = await asyncio.to_thread(read_requests, jmx_url)
    meter = CpuMeter({**pids, LOAD: os.getpid()})
    busy, into.cpu_from_ms = machine_busy_s(), int(time.time() * 1000)
    await asyncio.sleep(window_s)
    into.cpu_s = meter.seconds()
    into.machine_busy_s, into.cpu_to_ms = machine_busy_s() - busy, int(time.time() * 1000)
    into.loadavg_1m = os.getloadavg()[0]
    into.requests_to_ms, after = await asyncio.to_thread(read_requests, jmx_url)
    kinds = sorted({*before, *after} - FETCH_SPLITS)
    into.requests = {k: after.get(k, 0) - before.get(k, 0) for k in kinds}
    log.info(
        "window %.1f s: %d Kafka requests, %.1f CPU s (every service + broker)",
        (into.cpu_to_ms - into.cpu_from_ms) / 1000,
        sum(into.requests.values()),
        sum(v for k, v in into.cpu_s.items() if k != LOAD),
    )


async def decided_at(kafka: KafkaSettings, serdes: Serdes) -> list[int]:
    """The Kafka timestamp (ms) of each order's first VALIDATED or FAILED version on ``orders``, sorted."""
    topic = Topics.ORDERS.full_name(kafka.topic_prefix)
    serde = serdes(Topics.ORDERS)
    count = (await partitions_of(kafka, [topic])).get(topic, 0)
    partitions = [TopicPartition(topic, p) for p in range(count)]
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await consumer.start()
    first: dict[str, int] = {}
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=500, max_records=5_000)).values():
                for msg in batch:
                    if msg.value is None or msg.offset >= ends[TopicPartition(msg.topic, msg.partition)]:
                        continue
                    order = serde.decode(msg.value)
                    if order["state"] in DECIDED:
                        first[order["order_id"]] = min(
                            first.get(order["order_id"], msg.timestamp), msg.timestamp
                        )
    finally:
        await consumer.stop()
    return sorted(first.values())


def _count(times: list[int], from_ms: int, to_ms: int) -> int:
    return sum(1 for t in times if from_ms <= t < to_ms)


def outcome(rate: float, offered: dict[str, Any], window: Window, decided: list[int]) -> dict[str, Any]:
    """One run's figures: requests and CPU per order decided in their windows, latency, steadiness."""
    cpu_orders = _count(decided, window.cpu_from_ms, window.cpu_to_ms)
    requests_orders = _count(decided, window.requests_from_ms, window.requests_to_ms)
    cpu_window_s = (window.cpu_to_ms - window.cpu_from_ms) / 1000
    requests_window_s = (window.requests_to_ms - window.requests_from_ms) / 1000
    cpu_ms = {name: s * 1000 / max(cpu_orders, 1) for name, s in window.cpu_s.items()}
    ours_s = sum(s for name, s in window.cpu_s.items() if name != LOAD)
    total_requests = sum(window.requests.values())
    decided_per_s = cpu_orders / cpu_window_s
    return {
        "offered_per_s": rate,
        "decided_per_s": round(decided_per_s, 1),
        "steady": decided_per_s >= STEADY_SHARE * rate and not offered["skipped"],
        "cpu_window_s": round(cpu_window_s, 2),
        "cpu_window_orders": cpu_orders,
        "cpu_ms_per_order": round(sum(v for name, v in cpu_ms.items() if name != LOAD), 2),
        "cpu_ms_per_order_by_process": {name: round(v, 2) for name, v in cpu_ms.items()},
        "requests_window_s": round(requests_window_s, 2),
        "requests_window_orders": requests_orders,
        "requests_per_order": round(total_requests / max(requests_orders, 1), 2),
        "requests_per_s": round(total_requests / requests_window_s, 1),
        "requests_per_order_by_type": {
            k: round(v / max(requests_orders, 1), 3) for k, v in window.requests.items() if v
        },
        "machine_busy_cores": round(window.machine_busy_s / cpu_window_s, 2),
        "ours_cores": round(ours_s / cpu_window_s, 2),
        "other_cores": round((window.machine_busy_s - sum(window.cpu_s.values())) / cpu_window_s, 2),
        "loadavg_1m": round(window.loadavg_1m, 2),
        **{
            k: offered[k]
            for k in ("sent", "skipped", "validated", "unanswered", "p50_ms", "p95_ms", "p99_ms")
        },
    }


def _medians(parts: list[dict[str, float]]) -> dict[str, float]:
    """Per key, the median over runs (0 where a run lacks it), largest first."""
    keys = {k for p in parts for k in p}
    medians = {k: round(median_of([p.get(k, 0.0) for p in parts]), 3) for k in keys}
    return dict(sorted(medians.items(), key=lambda kv: -kv[1]))


# each figure of a rate: name, the run's value, unit, what each run lists beside it, its parts
FIGURES: tuple[tuple[str, str, str, tuple[str, ...], str | None], ...] = (
    (
        "orders decided/s in the window (steady ≈ offered)",
        "decided_per_s",
        "orders/s",
        ("steady", "cpu_window_orders", "cpu_window_s", "skipped"),
        None,
    ),
    (
        "Kafka requests per order, all clients (broker JMX RequestMetrics)",
        "requests_per_order",
        "requests/order",
        ("requests_window_s", "requests_window_orders", "requests_per_s", "requests_per_order_by_type"),
        "requests_per_order_by_type",
    ),
    (
        "CPU per order, every service + broker (psutil user+system)",
        "cpu_ms_per_order",
        "CPU ms/order",
        (
            "cpu_window_orders",
            "cpu_ms_per_order_by_process",
            "machine_busy_cores",
            "ours_cores",
            "other_cores",
        ),
        "cpu_ms_per_order_by_process",
    ),
    (
        "POST→VALIDATED p50 (client clock, query-api SSE)",
        "p50_ms",
        "ms",
        ("sent", "skipped", "validated", "unanswered", "p95_ms", "loadavg_1m"),
        None,
    ),
    ("POST→VALIDATED p99 (client clock, query-api SSE)", "p99_ms", "ms", (), None),
)


def figures_of(rate: float, results: list[dict[str, Any]]) -> list[Figure]:
    """The figures of one rate: steadiness, requests and CPU per order (with their parts), latency."""
    return [
        figure(
            f"steady {rate:g} orders/s offered: {name}",
            [r[key] for r in results],
            unit,
            detail=[{k: r[k] for k in listed} for r in results] if listed else None,
            breakdown=_medians([r[parts] for r in results]) if parts else None,
        )
        for name, key, unit, listed, parts in FIGURES
    ]


@contextmanager
def own_broker() -> Iterator[NodeSpec]:
    """A fresh single node with JMX on loopback, for this section alone; stopped on exit.

    A lock file keeps two runs from sharing (or wiping) it; a node left by a run that died is wiped.
    """
    spec = single_spec(port=KAFKA_PORT, jmx_port=JMX_PORT)
    lock_path = kafka_dir() / ".bench-steady.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RuntimeError(f"another bench.steady runs (it holds {lock_path})") from exc
        local_kafka.reset_single(spec)  # nothing on it but this run's topics
        local_kafka.start_single(spec=spec)
        try:
            yield spec
        finally:
            local_kafka.stop_single(spec=spec)


def run(registry_url: str, runs: int = 3, quick: bool = False) -> list[Figure]:
    """Per rate: a warm-up, then ``runs`` measured runs, on a whole system and a broker of its own."""
    window_s = QUICK_WINDOW_S if quick else WINDOW_S
    offer_s = SETTLE_S + window_s  # the load also goes on until the closing JMX reading is in
    with (
        own_broker() as spec,
        start_system(spec.bootstrap, registry_url, PROCESSORS, "bench-steady-") as started,
    ):
        pids = {name: r.proc.pid for name, r in started.items()} | {BROKER: broker_pid(spec)}
        ingest_url, query_url = started["ingest-api"].url, started["query-api"].url
        measured: list[tuple[float, dict[str, Any], Window]] = []
        log.info("steady load: warm-up, %g s at %g orders/s", WARMUP_S, RATES[0])
        run_loop(latency.offer(ingest_url, query_url, RATES[0], WARMUP_S, max_in_flight=MAX_IN_FLIGHT))
        for rate in RATES:
            for r in range(runs):
                window = Window()
                during = functools.partial(measure, spec.jmx_url, pids, window_s, window)
                offered = run_loop(
                    latency.offer(
                        ingest_url, query_url, rate, offer_s, during=during, max_in_flight=MAX_IN_FLIGHT
                    )
                )
                measured.append((rate, offered, window))
                log.info(
                    "steady %g orders/s run %d: %d sent, %d skipped, %d validated; p50 %.0f ms, p99 %.0f ms",
                    rate,
                    r + 1,
                    *(offered[k] for k in ("sent", "skipped", "validated", "p50_ms", "p99_ms")),
                )
        kafka = KafkaSettings(
            bootstrap_servers=spec.bootstrap, topic_prefix=started["orders"].env["KAFKA_TOPIC_PREFIX"]
        )
        serdes = Serdes(kafka, RegistrySettings(registry_url=registry_url))
        began = time.monotonic()
        try:
            decided = asyncio.run(decided_at(kafka, serdes))
        finally:
            serdes.close()
        log.info("orders decided: %d, read in %.1f s; stopping", len(decided), time.monotonic() - began)
    figures: list[Figure] = []
    for rate in RATES:
        results = [outcome(rate, offered, w, decided) for at, offered, w in measured if at == rate]
        figures += figures_of(rate, results)
    return figures


def main() -> None:
    """Start (or reuse) the shared registry, run the section on a broker of its own, print JSON."""
    from infra import local_registry

    parser = argparse.ArgumentParser(prog="python -m bench.steady", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs per rate (default 3)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_WINDOW_S:g} s windows (a smoke run)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    for chatty in ("httpx", "aiokafka"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    registry_url = local_registry.start() + local_registry.CCOMPAT_PATH
    started = time.perf_counter()
    figures = run(registry_url, args.runs, args.quick)
    elapsed = round(time.perf_counter() - started, 1)
    print(json.dumps({"figures": figures, "elapsed_s": elapsed}, indent=2))


if __name__ == "__main__":
    main()
