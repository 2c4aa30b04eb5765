"""``python -m tests.reliability.soak``: the whole system at a steady rate, sampled every 10 s.

Starts (or reuses) the local broker and registry, every service on a fresh topic prefix (processors
on RocksDB, as ``make up`` runs them), seeds the simulator's customers and stock, then sends the
mix at ``--rate`` calls/s for ``--seconds``. Every 10 s it records accepted/s, decided/s (orders
leaving CREATED, from query-api's counts), POST→VALIDATED latency percentiles (one order in
``--sample-every`` is long-polled with ``?wait_for=VALIDATED,FAILED``) and the RSS of each service,
the broker and the registry. At the end it runs the ledger check and fits a line to each process's
RSS after warm-up. Writes ``.local/soak/soak.json`` and ``soak.md``; exits 1 if a promise broke.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from infra import local_kafka, local_registry
from producers.simulator.mix import Mix
from tests.e2e.systems import PROCESSORS, start_system
from tests.helpers.processes import Running
from tests.reliability.driver import Ledger, Sent, drive, seed
from tests.reliability.fixtures_faults import Handles, handles
from tests.reliability.ledger import settle_and_check
from tests.reliability.soak_report import SLOPE_LIMIT_MIB_PER_MIN, memory_verdicts, write_reports

OUT_DIR = Path(".local/soak")
INTERVAL_S = 10.0
MIB = 1024 * 1024


@dataclass
class Probe:
    """What the sampler collects between two samples."""

    latencies_ms: list[float] = field(default_factory=list)
    failed_decisions: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


def rss_mib(pid: int | None) -> float | None:
    """Resident memory of ``pid`` in MiB (None if it is gone)."""
    if pid is None:
        return None
    try:
        rss: int = psutil.Process(pid).memory_info().rss
        return round(rss / MIB, 1)
    except psutil.Error:
        return None


def pids(started: dict[str, Running]) -> dict[str, int | None]:
    """The process of each service, the broker and the registry."""
    found: dict[str, int | None] = {name: run.proc.pid for name, run in started.items()}
    found["kafka-broker"] = local_kafka.status_single()[0].pid
    found["registry"] = local_registry.status().pid
    return found


async def watch(query: httpx.AsyncClient, sent: Sent, probe: Probe) -> None:
    """Long-poll the order until decided; note POST→VALIDATED in ms."""
    try:
        r = await query.get(
            f"/v1/orders/{sent.order_id}", params={"wait_for": "VALIDATED,FAILED", "timeout_ms": 60_000}
        )
    except httpx.HTTPError:
        return
    if r.status_code == 200 and r.json()["state"] == "VALIDATED":
        probe.latencies_ms.append((time.monotonic() - sent.sent_at) * 1000)
    else:
        probe.failed_decisions += 1


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) of ``values``, None when empty."""
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1)


async def decided(query: httpx.AsyncClient) -> int:
    """Orders that left CREATED, from query-api's per-state counts."""
    counts = (await query.get("/v1/stats/orders")).json()
    states = counts.get("counts", counts) if isinstance(counts, dict) else {}
    return sum(int(v) for k, v in states.items() if k != "CREATED" and isinstance(v, int))


async def sample_loop(
    system: Handles, query: httpx.AsyncClient, ledger: Ledger, probe: Probe, seconds: float
) -> tuple[list[dict[str, Any]], list[float]]:
    """A sample every 10 s until ``seconds`` passed; also every latency measured."""
    samples: list[dict[str, Any]] = []
    started = last_t = time.monotonic()
    last_acked, last_decided = 0, await decided(query)
    all_latencies: list[float] = []
    while (now := time.monotonic()) - started < seconds:
        await asyncio.sleep(min(INTERVAL_S, seconds - (now - started)))
        now = time.monotonic()
        acked, done = len(ledger.acked_orders), await decided(query)
        window, probe.latencies_ms = probe.latencies_ms, []
        all_latencies.extend(window)
        samples.append(
            {
                "t_s": round(now - started, 1),
                "accepted_per_s": round((acked - last_acked) / (now - last_t), 1),
                "decided_per_s": round((done - last_decided) / (now - last_t), 1),
                "latency_ms": {"p50": percentile(window, 50), "p95": percentile(window, 95)},
                "rss_mib": {name: rss_mib(pid) for name, pid in pids(system.started).items()},
            }
        )
        last_t, last_acked, last_decided = now, acked, done
        print(json.dumps(samples[-1]), flush=True)  # noqa: T201 - progress of a long run
    return samples, all_latencies


async def run(system: Handles, seconds: float, rate: float, sample_every: int) -> dict[str, Any]:
    """Drive and sample; then the ledger check and the memory verdicts."""
    ledger, stop, probe = Ledger(), asyncio.Event(), Probe()
    # long-polls get a client of their own, without a connection limit: while they wait, the
    # sampler's own requests must never queue behind them for a connection
    unlimited = httpx.Limits(max_connections=None, max_keepalive_connections=20)
    async with (
        system.clients() as (ingest, query),
        httpx.AsyncClient(base_url=query.base_url, timeout=70, limits=unlimited) as polls,
    ):
        counter = iter(range(sys.maxsize))

        def on_acked(sent: Sent) -> None:
            if next(counter) % sample_every == 0:
                task = asyncio.get_running_loop().create_task(watch(polls, sent, probe))
                probe.tasks.add(task)
                task.add_done_callback(probe.tasks.discard)

        mix = Mix(customers=2000, skus=50, seed=1)
        await seed(ingest, mix, ledger)
        ledger.on_order_acked = on_acked
        driving = asyncio.create_task(drive(ingest, mix, ledger, rate, stop))
        samples, latencies = await sample_loop(system, query, ledger, probe, seconds)
        stop.set()
        await driving
        await asyncio.gather(*probe.tasks)
        verdict, settle_s = await settle_and_check(ledger, system.kafka, system.registry, query, 180)
    latencies += probe.latencies_ms
    minutes = seconds / 60
    return {
        "settings": {"seconds": seconds, "rate_per_s": rate, "interval_s": INTERVAL_S},
        "orders_per_min": round(len(ledger.acked_orders) / minutes, 1),
        "latency_ms": {q: percentile(latencies, float(q[1:])) for q in ("p50", "p90", "p95", "p99")}
        | {"samples": len(latencies), "failed_decisions": probe.failed_decisions},
        "samples": samples,
        "memory": memory_verdicts(samples, len(ledger.acked_orders) / minutes),
        "slope_limit_mib_per_min": SLOPE_LIMIT_MIB_PER_MIN,
        "ledger": verdict.summary() | {"problems": verdict.problems()[:20], "settle_s": round(settle_s, 1)},
    }


def main() -> int:
    """Parse arguments, start what is needed, run, write the reports, stop what this started."""
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 600)))
    parser.add_argument("--rate", type=float, default=float(os.environ.get("SOAK_RATE", 20)))
    parser.add_argument("--sample-every", type=int, default=10, help="long-poll one order in N")
    args = parser.parse_args()
    broker_was_up = all(n.running for n in local_kafka.status_single())
    kafka = local_kafka.start_single()
    os.environ.setdefault("SHOPSTREAM_LOCAL_REGISTRY_KAFKA_BOOTSTRAP", kafka)
    registry_was_up = local_registry.status().running
    registry = local_registry.start() + local_registry.CCOMPAT_PATH
    env = {"PROCESSOR_STORE": "rocksdb://", "PROCESSOR_DATA_DIR": tempfile.mkdtemp(prefix="soak-faust-")}
    try:
        with start_system(kafka, registry, PROCESSORS, "soak-", **env) as started:
            result = asyncio.run(run(handles(started, registry), args.seconds, args.rate, args.sample_every))
    finally:
        if not registry_was_up:
            local_registry.stop()
        if not broker_was_up:
            local_kafka.stop_single()
    write_reports(OUT_DIR, result)
    print(f"reports in {OUT_DIR}/soak.json and soak.md")  # noqa: T201 - command-line tool
    return 1 if result["ledger"]["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
