"""What every bench section shares: figures, medians, percentiles, machine facts, bounded subprocesses."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, NotRequired, TypedDict, TypeVar

import httpx

from infra.local_kafka.layout import lib_dir
from infra.local_kafka.node import java_executable

LOOPBACK = "127.0.0.1"
T = TypeVar("T")


class Figure(TypedDict):
    """One measured figure: the median of ``runs``, beside its anchor (same run) when it has one."""

    name: str
    value: float
    unit: str
    runs: list[float]
    anchor: str | None
    ratio: float | None
    detail: NotRequired[list[dict[str, Any]]]
    breakdown: NotRequired[dict[str, float]]  # the value's parts (median of runs each), e.g. per process


def figure(
    name: str,
    runs: Sequence[float],
    unit: str,
    anchor: str | None = None,
    anchor_value: float | None = None,
    detail: list[dict[str, Any]] | None = None,
    breakdown: dict[str, float] | None = None,
) -> Figure:
    """A figure whose value is the median of ``runs``; ratio = value / anchor_value when given."""
    value = median_of(list(runs))
    ratio = round(value / anchor_value, 3) if anchor_value else None
    made = Figure(
        name=name,
        value=round(value, 3),
        unit=unit,
        runs=[round(r, 3) for r in runs],
        anchor=anchor,
        ratio=ratio,
    )
    if detail is not None:
        made["detail"] = detail
    if breakdown is not None:
        made["breakdown"] = breakdown
    return made


def median_of(runs: list[float]) -> float:
    """The median of the runs (NaN for none)."""
    return statistics.median(runs) if runs else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


class CommandFailed(RuntimeError):
    """A bench subprocess exited non-zero or overran its time limit."""


def run_command(argv: Sequence[str], timeout_s: float, env: dict[str, str] | None = None) -> str:
    """Run ``argv`` (built here, never from input) and return its stdout; raise if it fails or overruns."""
    try:
        done = subprocess.run(  # noqa: S603
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env={**os.environ, **(env or {})},
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CommandFailed(f"{argv[0]} … overran {timeout_s}s") from exc
    if done.returncode != 0:
        raise CommandFailed(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def run_json(module: str, args: Sequence[str], timeout_s: float) -> dict[str, Any]:
    """Run ``python -m module args`` in its own process and parse the last line it prints as JSON."""
    out = run_command([sys.executable, "-m", module, *args], timeout_s)
    lines = [line for line in out.splitlines() if line.strip()]
    if not lines:
        raise CommandFailed(f"{module} printed nothing")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def java_tool(main_class: str, *args: str, heap: str = "-Xmx512m") -> list[str]:
    """The argv running a Kafka tool class from the local Kafka's lib dir."""
    return [java_executable(), heap, "-Djava.awt.headless=true", "-cp", f"{lib_dir()}/*", main_class, *args]


def kafka_version() -> str:
    """Kafka's version, from the kafka-clients jar name in the lib dir ("?" if not found)."""
    for jar in sorted(lib_dir().glob("kafka-clients-*.jar")):
        found = re.fullmatch(r"kafka-clients-(.+)\.jar", jar.name)
        if found:
            return found.group(1)
    return "?"


def java_version() -> str:
    """The first line of ``java -version``."""
    try:
        done = subprocess.run(  # noqa: S603
            [java_executable(), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired, RuntimeError):
        return "?"
    lines = (done.stderr or done.stdout).splitlines()
    return lines[0].strip() if lines else "?"


def _cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, else platform.processor()."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _memory_gib() -> float | None:
    """Total memory in GiB from /proc/meminfo."""
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine_facts() -> dict[str, Any]:
    """Cores, CPU, memory, OS, Python, Kafka and Java versions, and the date (UTC)."""
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "kafka": kafka_version(),
        "java": java_version(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def bench_order(order_id: str, customer_id: str = "bench-c-1") -> dict[str, Any]:
    """The body of POST /v1/orders every load uses: 3 lines, like the serde figure's Order."""
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "currency": "EUR",
        "items": [
            {"sku": "bench-sku-1", "quantity": 1, "unit_price_cents": 500},
            {"sku": "bench-sku-2", "quantity": 3, "unit_price_cents": 1500},
            {"sku": "bench-sku-3", "quantity": 1, "unit_price_cents": 99},
        ],
    }


def encoded_order_size() -> int:
    """Bytes of the value ingest-api writes for bench_order: Avro body plus the 5-byte Confluent header."""
    from io import BytesIO

    from fastavro import schemaless_writer

    from schemas import store

    record = {**bench_order("bench-0123456789ab-00000001"), "placed_at": 1_795_867_200_123}
    out = BytesIO()
    schemaless_writer(out, store.load("OrderPlaced").parsed_plain, record)
    return len(out.getvalue()) + 5


class LoadResult(TypedDict):
    """What a closed-loop load generator measured: requests sent and answered, latencies in ms."""

    seconds: float
    requests: int
    ok: int
    errors: int
    requests_per_s: float
    ok_per_s: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]


async def closed_loop(
    send: Callable[[httpx.AsyncClient, int, int], Awaitable[httpx.Response]],
    base_url: str,
    seconds: float,
    concurrency: int,
    max_requests: int,
    ok_status: int,
) -> LoadResult:
    """``concurrency`` clients each send one request after another until ``seconds`` or ``max_requests``.

    ``send(client, worker, i)`` makes the i-th request of a worker; a response of ``ok_status`` counts
    as ok. Bounded in time and count: it stops by itself.
    """
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sent = 0
    # one client (one keep-alive connection) per worker: a shared pool slows down badly under concurrency
    clients = [
        httpx.AsyncClient(base_url=base_url, timeout=30, limits=httpx.Limits(max_connections=1))
        for _ in range(concurrency)
    ]
    start = time.perf_counter()
    deadline = start + seconds

    async def worker(w: int) -> None:
        nonlocal sent
        i = 0
        client = clients[w]
        while time.perf_counter() < deadline and sent < max_requests:
            sent += 1
            t0 = time.perf_counter()
            try:
                response = await send(client, w, i)
                key = str(response.status_code)
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            latencies.append((time.perf_counter() - t0) * 1000)
            statuses[key] = statuses.get(key, 0) + 1
            i += 1

    try:
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - start
    finally:
        for client in clients:
            await client.aclose()
    ok = statuses.get(str(ok_status), 0)
    return LoadResult(
        seconds=round(elapsed, 3),
        requests=len(latencies),
        ok=ok,
        errors=len(latencies) - ok,
        requests_per_s=round(len(latencies) / elapsed, 1),
        ok_per_s=round(ok / elapsed, 1),
        p50_ms=round(percentile(latencies, 50), 3),
        p99_ms=round(percentile(latencies, 99), 3),
        statuses=statuses,
    )


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop (asyncio's own loop if uvloop is missing)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port
