"""Query with wrk: GET /v1/orders/{id} against the same process's /healthz and a minimal Starlette app.

``run()`` seeds orders through ingest-api and waits until query-api serves every one of them (a
Python client here, because the answers must be checked), then runs rounds of wrk at 32
connections, after a warm-up: query-api's ``/healthz`` (the same process's trivial endpoint, the
target's anchor), ``GET /v1/orders/{id}`` round robin over the seeded ids (``bench/wrk/
get_orders.lua``), and the minimal Starlette app's constant view. Only 200 answers count.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path

import httpx

from bench import wrk
from bench.common import Figure, bench_order, figure, median_of, run_loop

SEED_ORDERS = 300
CONNECTIONS = 32
SECONDS = 10.0
WARMUP_SECONDS = 3.0
SEED_TIMEOUT_S = 300.0  # generous: a slow machine drains the 300 orders slowly
ANY_STATE = "CREATED,VALIDATED,FAILED,PAID,SHIPPED,CANCELLED"
EVERY_WORKER_PASSES = 3  # full passes, each request on a new connection, all 200


async def seed(ingest_url: str, query_url: str, count: int = SEED_ORDERS) -> list[str]:
    """``count`` orders placed in one batch, returned once query-api serves every one of them.

    With several workers each has its own read model, so the ids are then read on a new connection
    each (any worker may take it) until ``EVERY_WORKER_PASSES`` full passes answer 200 throughout.
    """
    run = uuid.uuid4().hex[:8]
    ids = [f"q-{run}-{i}" for i in range(count)]
    async with httpx.AsyncClient(base_url=ingest_url, timeout=60) as ingest:
        body = {"orders": [bench_order(order_id, f"bench-qc-{i % 100}") for i, order_id in enumerate(ids)]}
        (await ingest.post("/v1/orders:batch", json=body)).raise_for_status()
    deadline = time.monotonic() + SEED_TIMEOUT_S
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=query_url, timeout=30, limits=limits) as query:
        gate = asyncio.Semaphore(50)

        async def served(order_id: str) -> None:
            async with gate:
                while True:  # any state will do: the order is served
                    params: dict[str, str | int] = {"wait_for": ANY_STATE, "timeout_ms": 20_000}
                    r = await query.get(f"/v1/orders/{order_id}", params=params)
                    if r.status_code == 200:
                        return
                    if r.status_code != 404 or time.monotonic() > deadline:
                        r.raise_for_status()
                        raise RuntimeError(f"order {order_id} not served in {SEED_TIMEOUT_S:g} s")

        await asyncio.gather(*(served(order_id) for order_id in ids))
    passes = 0
    while passes < EVERY_WORKER_PASSES:
        async with httpx.AsyncClient(
            base_url=query_url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
        ) as fresh:
            statuses = [(await fresh.get(f"/v1/orders/{order_id}")).status_code for order_id in ids]
        passes = passes + 1 if set(statuses) == {200} else 0
        if time.monotonic() > deadline:
            raise RuntimeError(f"not every worker serves the seeded orders in {SEED_TIMEOUT_S:g} s")
    return ids


def get_orders(url: str, ids_file: Path, seconds: float) -> wrk.WrkResult:
    """GET /v1/orders/{id} round robin over the ids in ``ids_file``."""
    return wrk.load(
        url, "get_orders.lua", [str(ids_file)], connections=CONNECTIONS, seconds=seconds, ok_status=200
    )


def get_path(url: str, path: str, seconds: float) -> wrk.WrkResult:
    """GET ``path`` again and again."""
    return wrk.load(url, "get_path.lua", [path], connections=CONNECTIONS, seconds=seconds, ok_status=200)


def run(
    ingest_url: str,
    query_url: str,
    workers: int,
    anchor_url: str | None = None,
    runs: int = 3,
    seconds: float = SECONDS,
) -> list[Figure]:
    """GET /v1/orders/{id}, query-api's /healthz and (given ``anchor_url``) the Starlette anchor.

    Medians of ``runs`` interleaved rounds after a warm-up each.
    """
    ids = run_loop(seed(ingest_url, query_url))
    where = f"{CONNECTIONS} connections, {workers} uvicorn worker{'s' if workers > 1 else ''}"
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp:
        ids_file = Path(tmp) / "ids.txt"
        ids_file.write_text("\n".join(ids) + "\n")
        loads = [partial(get_path, query_url, "/healthz"), partial(get_orders, query_url, ids_file)]
        if anchor_url:
            loads.append(partial(get_path, anchor_url, "/v1/orders/o-1"))
        floors, ours, *anchored = wrk.rounds(loads, runs, seconds, WARMUP_SECONDS)
    figures = [
        *wrk.beside_floor(
            f"query GET /healthz, {where} (the floor)",
            floors,
            f"query GET /v1/orders/{{id}}, {where}",
            ours,
            "requests/s",
        ),
        figure(f"query GET /v1/orders/{{id}}, {where}: latency p99", [r["p99_ms"] for r in ours], "ms"),
    ]
    for anchors in anchored:  # none or the Starlette anchor's
        anchor_rps = median_of([r["ok_per_s"] for r in anchors])
        figures.append(
            figure(
                f"anchor: minimal Starlette GET /v1/orders/{{id}}, {CONNECTIONS} connections, one process",
                [r["ok_per_s"] for r in anchors],
                "requests/s",
                detail=wrk.detail(anchors),
            )
        )
        figures[1]["anchor"] = f"{figures[1]['anchor']}; minimal Starlette {anchor_rps:,.0f} req/s"
    return figures
