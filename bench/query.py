"""Query: GET /v1/orders/{id} requests/s and p99, beside a minimal Starlette endpoint on the same machine.

``python -m bench.query load --url U --paths-file F --seconds N --concurrency C`` is the load generator
(asyncio + httpx, closed loop, bounded in time and count; one JSON line). ``python -m bench.query anchor
--port P`` serves the anchor: Starlette returning a constant JSON, uvicorn on uvloop, 127.0.0.1.
``run()`` seeds orders through ingest-api, waits until query-api serves them, then loads query-api and
the anchor alike (a warm-up, then ``runs`` runs each, alternating).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    LOOPBACK,
    Figure,
    bench_order,
    closed_loop,
    figure,
    free_port,
    median_of,
    run_json,
    run_loop,
)

SEED_ORDERS = 300
CONCURRENCY = 32
SECONDS = 10.0
WARMUP_SECONDS = 3.0
MAX_REQUESTS = 2_000_000
SEED_TIMEOUT_S = 300.0  # generous: a slow machine drains the 300 orders slowly
ANY_STATE = "CREATED,VALIDATED,FAILED,PAID,SHIPPED,CANCELLED"


async def seed(ingest_url: str, query_url: str, count: int = SEED_ORDERS) -> list[str]:
    """``count`` orders placed in one batch, returned once query-api serves every one of them."""
    run = uuid.uuid4().hex[:8]
    ids = [f"q-{run}-{i}" for i in range(count)]
    async with httpx.AsyncClient(base_url=ingest_url, timeout=60) as ingest:
        body = {"orders": [bench_order(order_id, f"bench-qc-{i % 100}") for i, order_id in enumerate(ids)]}
        (await ingest.post("/v1/orders:batch", json=body)).raise_for_status()
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=query_url, timeout=30, limits=limits) as query:
        gate = asyncio.Semaphore(50)

        async def served(order_id: str) -> None:
            deadline = time.monotonic() + SEED_TIMEOUT_S
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
    return ids


async def generate(
    url: str, paths: list[str], seconds: float, concurrency: int, max_requests: int
) -> dict[str, Any]:
    """One closed-loop GET load over ``paths`` (round robin); ok means 200."""

    async def get(client: httpx.AsyncClient, w: int, i: int) -> httpx.Response:
        return await client.get(paths[(w * 7919 + i) % len(paths)])

    result = await closed_loop(get, url, seconds, concurrency, max_requests, 200)
    return {"concurrency": concurrency, **result}


def load(url: str, paths_file: Path, seconds: float, concurrency: int = CONCURRENCY) -> dict[str, Any]:
    """Run the generator as its own process and return what it printed."""
    args = ["load", "--url", url, "--paths-file", str(paths_file), "--seconds", str(seconds)]
    args += ["--concurrency", str(concurrency)]
    return run_json("bench.query", args, timeout_s=seconds + 90)


def anchor_app() -> Any:
    """The anchor: a Starlette app answering GET /v1/orders/{order_id} with a constant JSON."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    constant = {"order_id": "o-1", "state": "CREATED", "total_cents": 5099}

    async def order(_: Request) -> JSONResponse:
        return JSONResponse(constant)

    async def ready(_: Request) -> JSONResponse:
        return JSONResponse({"ready": True})

    return Starlette(routes=[Route("/v1/orders/{order_id}", order), Route("/readyz", ready)])


def serve_anchor(port: int) -> None:
    """Serve the anchor on 127.0.0.1:port like query-api is served (uvicorn, uvloop, no log config)."""
    import uvicorn

    uvicorn.run(anchor_app(), host=LOOPBACK, port=port, log_config=None, loop="uvloop", access_log=False)


class Anchor:
    """The anchor server in its own process, stopped on exit."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Anchor:
        argv = [sys.executable, "-m", "bench.query", "anchor", "--port", str(self.port)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"anchor server exited {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("anchor server not ready in 30 s")

    def __exit__(self, *_: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run(ingest_url: str, query_url: str, runs: int = 3, seconds: float = SECONDS) -> list[Figure]:
    """GET /v1/orders/{id} on seeded orders and the anchor: medians of ``runs`` after a warm-up each."""
    ids = run_loop(seed(ingest_url, query_url))
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp, Anchor() as anchor:
        paths_file = Path(tmp) / "paths.json"
        paths_file.write_text(json.dumps([f"/v1/orders/{order_id}" for order_id in ids]))
        load(query_url, paths_file, WARMUP_SECONDS)
        load(anchor.url, paths_file, WARMUP_SECONDS)
        ours: list[dict[str, Any]] = []
        theirs: list[dict[str, Any]] = []
        for _ in range(runs):  # alternating, so drifting background load hits both alike
            ours.append(load(query_url, paths_file, seconds))
            theirs.append(load(anchor.url, paths_file, seconds))
    anchor_rps = median_of([r["ok_per_s"] for r in theirs]) if theirs else None
    keys = ("requests", "ok", "errors", "requests_per_s", "p50_ms", "p99_ms", "statuses", "seconds")
    detail = [{k: r[k] for k in keys} for r in ours]
    anchor_name = f"minimal Starlette endpoint {anchor_rps:,.0f} req/s" if anchor_rps else None
    anchor_p99 = median_of([r["p99_ms"] for r in theirs]) if theirs else None
    return [
        figure(
            f"query GET /v1/orders/{{id}} ({CONCURRENCY} concurrent clients)",
            [r["ok_per_s"] for r in ours],
            "requests/s",
            anchor=anchor_name,
            anchor_value=anchor_rps,
            detail=detail,
        ),
        figure(
            f"query GET /v1/orders/{{id}} latency p99 ({CONCURRENCY} concurrent clients)",
            [r["p99_ms"] for r in ours],
            "ms",
            anchor=f"minimal Starlette endpoint p99 {anchor_p99:.2f} ms" if anchor_p99 is not None else None,
        ),
        figure(
            f"anchor: minimal Starlette endpoint ({CONCURRENCY} concurrent clients)",
            [r["ok_per_s"] for r in theirs],
            "requests/s",
            detail=[{k: r[k] for k in keys} for r in theirs],
        ),
    ]


def main() -> None:
    """``load``: one generator run, one JSON line; ``anchor``: serve the anchor until stopped."""
    parser = argparse.ArgumentParser(prog="python -m bench.query")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("load", help="the load generator")
    gen.add_argument("--url", required=True, help="base URL (loopback)")
    gen.add_argument("--paths-file", required=True, type=Path, help="JSON list of paths to GET")
    gen.add_argument("--seconds", type=float, default=SECONDS)
    gen.add_argument("--concurrency", type=int, default=CONCURRENCY)
    gen.add_argument("--max-requests", type=int, default=MAX_REQUESTS)
    srv = sub.add_parser("anchor", help="serve the minimal Starlette endpoint")
    srv.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.command == "anchor":
        serve_anchor(args.port)
        return
    paths: list[str] = json.loads(args.paths_file.read_text())
    result = run_loop(generate(args.url, paths, args.seconds, args.concurrency, args.max_requests))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
