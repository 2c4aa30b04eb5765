"""Ingestion at saturation with wrk: POST /v1/orders and POST /v1/orders:batch, beside their anchors.

For one ingest-api (``workers`` uvicorn processes on one port) each round runs, after a warm-up:
the same service's ``/healthz`` (the framework floor in that process), ``POST /v1/orders`` at 32
connections (every request a new order, ``bench/wrk/post_order.lua``), and ``POST /v1/orders:batch``
of 500 orders at 8 connections (``post_batch.lua``), whose orders/s are set beside Kafka's
ProducerPerformance records/s for the same record size, acks=all (``bench.broker``). Only 202
answers count; every 202 means the orders were acknowledged by Kafka (acks=all).
"""

from __future__ import annotations

import uuid
from functools import partial

from bench import broker, wrk
from bench.common import Figure, figure

SINGLE_CONNECTIONS = 32
BATCH_CONNECTIONS = 8
BATCH_SIZE = 500
SECONDS = 10.0
WARMUP_SECONDS = 3.0


def _tag() -> str:
    """A run tag that makes every order id of a wrk run new."""
    return uuid.uuid4().hex[:8]


def single(url: str, seconds: float) -> wrk.WrkResult:
    """POST /v1/orders, one new three-line order per request, 32 connections."""
    return wrk.load(
        url, "post_order.lua", [_tag()], connections=SINGLE_CONNECTIONS, seconds=seconds, ok_status=202
    )


def batch(url: str, seconds: float) -> wrk.WrkResult:
    """POST /v1/orders:batch of 500 new orders per request, 8 connections."""
    return wrk.load(
        url,
        "post_batch.lua",
        [_tag(), str(BATCH_SIZE)],
        connections=BATCH_CONNECTIONS,
        seconds=seconds,
        ok_status=202,
    )


def healthz(url: str, seconds: float, connections: int = SINGLE_CONNECTIONS) -> wrk.WrkResult:
    """GET /healthz of the service under test: the same process's trivial endpoint."""
    return wrk.load(
        url, "get_path.lua", ["/healthz"], connections=connections, seconds=seconds, ok_status=200
    )


def run(
    ingest_url: str,
    workers: int,
    runs: int = 3,
    seconds: float = SECONDS,
    anchor_records_per_s: float | None = None,
) -> list[Figure]:
    """Healthz, single and batch POSTs at saturation on one ingest-api: medians of ``runs`` rounds.

    The batch ratio is to ProducerPerformance's records/s: ``anchor_records_per_s``, else the one
    ``bench.broker.run`` measured last in this process, else none.
    """
    where = f"{workers} uvicorn worker{'s' if workers > 1 else ''}"
    loads = [partial(healthz, ingest_url), partial(single, ingest_url), partial(batch, ingest_url)]
    floors, singles, batches = wrk.rounds(loads, runs, seconds, WARMUP_SECONDS)
    anchor = anchor_records_per_s or broker.LAST_RECORDS_PER_S
    single_name = f"ingestion POST /v1/orders, {SINGLE_CONNECTIONS} connections, {where}"
    batch_name = f"ingestion POST /v1/orders:batch of {BATCH_SIZE}, {BATCH_CONNECTIONS} connections, {where}"
    return [
        *wrk.beside_floor(
            f"ingestion GET /healthz, {SINGLE_CONNECTIONS} connections, {where} (the floor)",
            floors,
            f"{single_name}: accepted orders/s",
            singles,
            "orders/s",
        ),
        figure(f"{single_name}: latency p50", [r["p50_ms"] for r in singles], "ms"),
        figure(f"{single_name}: latency p99", [r["p99_ms"] for r in singles], "ms"),
        figure(
            f"{batch_name}: accepted orders/s",
            [r["ok_per_s"] * BATCH_SIZE for r in batches],
            "orders/s",
            anchor=f"Kafka ProducerPerformance {anchor:,.0f} records/s" if anchor else None,
            anchor_value=anchor,
            detail=wrk.detail(batches),
        ),
        figure(f"{batch_name}: latency p99 per request", [r["p99_ms"] for r in batches], "ms"),
    ]


def anchor_figures(anchor_url: str, runs: int = 3, seconds: float = SECONDS) -> list[Figure]:
    """The minimal Starlette app's POST (reads the body, answers 202): the framework's own ceiling."""
    (results,) = wrk.rounds([partial(single, anchor_url)], runs, seconds, WARMUP_SECONDS)
    name = f"anchor: minimal Starlette POST /v1/orders, {SINGLE_CONNECTIONS} connections, one process"
    return [
        figure(name, [r["ok_per_s"] for r in results], "requests/s", detail=wrk.detail(results)),
        figure(f"{name}: latency p99", [r["p99_ms"] for r in results], "ms"),
    ]
