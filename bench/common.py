"""What every bench section shares: figures, medians, percentiles, machine facts, bounded subprocesses."""

from __future__ import annotations

import asyncio
import datetime
import os
import platform
import re
import socket
import statistics
import subprocess
from collections.abc import Coroutine, Sequence
from typing import Any, NotRequired, TypedDict, TypeVar

from infra.local_kafka.layout import lib_dir
from infra.local_kafka.node import java_executable
from schemas.exceptions import ShopStreamError

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


class CommandFailed(ShopStreamError):
    """A bench subprocess exited non-zero or overran its time limit."""


def run_command(argv: Sequence[str], timeout_s: float, env: dict[str, str] | None = None) -> str:
    """Run ``argv`` (built here, never from input) and return its stdout; raise if it fails or overruns."""
    try:
        done = subprocess.run(  # noqa: S603 - argv built here from fixed tool names
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
        done = subprocess.run(  # noqa: S603 - argv built here from fixed tool names
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
