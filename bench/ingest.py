"""Ingestion at saturation: POST /v1/orders and POST /v1/orders:batch, load from a separate process.

``python -m bench.ingest --url http://127.0.0.1:8000 --mode single|batch --seconds N --concurrency C``
is the load generator (asyncio + httpx, closed loop, bounded in time and count); it prints one JSON
line: accepted orders/s, requests/s, p50/p99 latency per request. ``run()`` starts it as a separate
process, once as a warm-up and then ``runs`` times, and reports medians beside ProducerPerformance.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any

import httpx
import orjson

from bench import broker
from bench.common import Figure, LoadResult, bench_order, closed_loop, figure, run_json, run_loop

SINGLE_CONCURRENCY = 64
BATCH_CONCURRENCY = 8
BATCH_SIZE = 500
SECONDS = 10.0
WARMUP_SECONDS = 3.0
MAX_REQUESTS = 1_000_000
CUSTOMERS = 1000
JSON = {"content-type": "application/json"}


async def generate(
    url: str, mode: str, seconds: float, concurrency: int, batch_size: int, max_requests: int
) -> dict[str, Any]:
    """One closed-loop load on ingest-api; accepted orders/s counts every order of a 202 answer."""
    run = uuid.uuid4().hex[:8]

    def order(w: int, i: int, j: int = 0) -> dict[str, Any]:
        return bench_order(f"b-{run}-{w}-{i}-{j}", f"bench-c-{(w * 7919 + i + j) % CUSTOMERS}")

    async def single(client: httpx.AsyncClient, w: int, i: int) -> httpx.Response:
        return await client.post("/v1/orders", content=orjson.dumps(order(w, i)), headers=JSON)

    async def batch(client: httpx.AsyncClient, w: int, i: int) -> httpx.Response:
        body = {"orders": [order(w, i, j) for j in range(batch_size)]}
        return await client.post("/v1/orders:batch", content=orjson.dumps(body), headers=JSON)

    per_request = 1 if mode == "single" else batch_size
    result: LoadResult = await closed_loop(
        single if mode == "single" else batch, url, seconds, concurrency, max_requests, 202
    )
    return {
        "mode": mode,
        "concurrency": concurrency,
        "orders_per_request": per_request,
        "accepted_orders_per_s": round(result["ok_per_s"] * per_request, 1),
        **result,
    }


def load(
    url: str, mode: str, seconds: float, concurrency: int, batch_size: int = BATCH_SIZE
) -> dict[str, Any]:
    """Run the generator as its own process and return what it printed."""
    args = ["--url", url, "--mode", mode, "--seconds", str(seconds), "--concurrency", str(concurrency)]
    args += ["--batch-size", str(batch_size)]
    return run_json("bench.ingest", args, timeout_s=seconds + 90)


def run(
    ingest_url: str,
    runs: int = 3,
    seconds: float = SECONDS,
    anchor_records_per_s: float | None = None,
) -> list[Figure]:
    """Single and batch POSTs at saturation: medians of ``runs`` after a warm-up.

    The ratio is to ProducerPerformance's records/s: ``anchor_records_per_s``, else the one
    ``bench.broker.run`` measured last in this process, else none.
    """
    anchor = anchor_records_per_s or broker.LAST_RECORDS_PER_S
    anchor_name = f"Kafka ProducerPerformance {anchor:,.0f} records/s" if anchor else None
    figures: list[Figure] = []
    for mode, concurrency in (("single", SINGLE_CONCURRENCY), ("batch", BATCH_CONCURRENCY)):
        load(ingest_url, mode, WARMUP_SECONDS, concurrency)
        results = [load(ingest_url, mode, seconds, concurrency) for _ in range(runs)]
        detail = [
            {k: r[k] for k in ("requests", "ok", "errors", "requests_per_s", "statuses", "seconds")}
            for r in results
        ]
        what = "POST /v1/orders" if mode == "single" else f"POST /v1/orders:batch of {BATCH_SIZE}"
        where = f"{concurrency} concurrent clients"
        figures.append(
            figure(
                f"ingestion {what}, accepted orders/s ({where})",
                [r["accepted_orders_per_s"] for r in results],
                "orders/s",
                anchor=anchor_name,
                anchor_value=anchor,
                detail=detail,
            )
        )
        for key in ("p50_ms", "p99_ms"):
            figures.append(
                figure(
                    f"ingestion {what} latency {key[:3]} per request ({where})",
                    [r[key] for r in results],
                    "ms",
                )
            )
    return figures


def main() -> None:
    """The load generator: one run, one JSON line on stdout."""
    parser = argparse.ArgumentParser(prog="python -m bench.ingest")
    parser.add_argument("--url", required=True, help="ingest-api base URL (loopback)")
    parser.add_argument("--mode", choices=["single", "batch"], default="single")
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--concurrency", type=int, default=SINGLE_CONCURRENCY)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--max-requests", type=int, default=MAX_REQUESTS)
    args = parser.parse_args()
    result = run_loop(
        generate(args.url, args.mode, args.seconds, args.concurrency, args.batch_size, args.max_requests)
    )
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
