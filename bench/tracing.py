"""What carrying W3C trace context costs when no spans are exported (issue 15: "nothing measurable").

Without ``OTEL_EXPORTER_OTLP_ENDPOINT`` the services record no span; they only read ``traceparent``
from what they consume and write it on what they produce (``infra/tracing.py``). Each figure sets
that default beside the same work with propagation switched off by OpenTelemetry's own setting,
``OTEL_PROPAGATORS=none`` (nothing extracted, nothing injected), runs interleaved so drifting
background load hits both alike:

- one hop (``bench.anchors.faust_hop``: our processor's runtime, consume → check → produce) over
  records that each carry a ``traceparent``;
- ``POST /v1/orders`` on ingest-api (one uvicorn worker, wrk at 32 connections), which starts a
  trace per request and writes it on the order's record.

A ratio of 1.0 is no cost; the run-to-run spread of either variant is the noise floor.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from bench import ingest
from bench.anchors import AnchorTopics, faust_hop
from bench.common import Figure, figure, median_of
from tests.e2e.systems import start_system

RECORDS = 20_000
OFF = {"OTEL_PROPAGATORS": "none"}
TRACEPARENT = ("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")


def hop_runs(bootstrap: str, registry_url: str, runs: int) -> dict[str, list[float]]:
    """Records/s of one hop over traced records, propagation on (the default) and off, interleaved."""
    topics = AnchorTopics(bootstrap, registry_url)
    asyncio.run(topics.create())
    asyncio.run(topics.preload(RECORDS, headers=[TRACEPARENT]))
    faust_hop.run_once(topics, RECORDS)  # warm-up
    found: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(runs):
        found["on"].append(faust_hop.run_once(topics, RECORDS))
        found["off"].append(faust_hop.run_once(topics, RECORDS, OTEL_PROPAGATORS="none"))
    return found


def post_runs(bootstrap: str, registry_url: str, runs: int, seconds: float) -> dict[str, list[float]]:
    """Accepted POST /v1/orders per second, propagation on and off, on two ingest-apis, interleaved."""
    with (
        start_system(bootstrap, registry_url, [], "bench-trace-on-") as on,
        start_system(bootstrap, registry_url, [], "bench-trace-off-", **OFF) as off,
    ):
        urls = {"on": on["ingest-api"].url, "off": off["ingest-api"].url}
        for url in urls.values():
            ingest.single(url, ingest.WARMUP_SECONDS)
        found: dict[str, list[float]] = {"on": [], "off": []}
        for _ in range(runs):
            for variant, url in urls.items():
                found[variant].append(ingest.single(url, seconds)["ok_per_s"])
    return found


def run(bootstrap: str, registry_url: str, runs: int = 3, seconds: float = ingest.SECONDS) -> list[Figure]:
    """Both figures, each the median with propagation on against the median with it off."""
    hops = hop_runs(bootstrap, registry_url, runs)
    posts = post_runs(bootstrap, registry_url, runs, seconds)
    off = "the same, OTEL_PROPAGATORS=none"
    hop = f"tracing: one hop, traceparent forwarded without exporter, {RECORDS:,} traced records"
    post = "tracing: POST /v1/orders, 32 connections, 1 uvicorn worker, trace started and forwarded"
    return [
        figure(hop, hops["on"], "records/s", off, median_of(hops["off"])),
        figure(f"{hop} (propagation off)", hops["off"], "records/s"),
        figure(post, posts["on"], "orders/s", off, median_of(posts["off"])),
        figure(f"{post} (propagation off)", posts["off"], "orders/s"),
    ]


def main() -> None:
    """``python -m bench.tracing [RUNS]``: on the local Kafka and registry, print the figures as JSON."""
    from infra import local_kafka, local_registry

    bootstrap = local_kafka.start_single()
    registry_url = local_registry.start() + local_registry.CCOMPAT_PATH
    started = time.perf_counter()
    figures: list[Any] = list(run(bootstrap, registry_url, int(sys.argv[1]) if len(sys.argv) > 1 else 3))
    elapsed = round(time.perf_counter() - started, 1)
    sys.stdout.write(json.dumps({"figures": figures, "elapsed_s": elapsed}, indent=2) + "\n")


if __name__ == "__main__":
    main()
