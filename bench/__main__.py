"""``make bench``: every figure beside its anchor, measured in the same run, written to bench/results/.

Sections run one after another on the local broker: serde, broker anchors, whole systems for
ingestion and query (wrk, ``bench.wrk``, with one and two uvicorn workers) and end-to-end
latency (RSS sampled at rest and under load), then processing
throughput against a raw aiokafka loop and Quix Streams, the one-hop processor with one worker and
with two of one consumer group (``bench.scale_out``), what forwarding trace context costs
(``bench.tracing``), and a burst of orders through ``:batch``
(``bench.burst``: all decided by the checks, none by the time-out). Last, steady load
(``bench.steady``): CPU and Kafka requests per order and POST→VALIDATED latency at 20 and 100
orders/s, on a broker of its own with JMX (the shared one has none, and other clients).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any

from bench import latency, report, resources, serde_rate
from infra import local_kafka, local_registry
from tests.e2e.systems import PROCESSORS, start_system

log = logging.getLogger("bench")
INGEST_WORKERS = (1, 2)  # ingest-api measured with one uvicorn worker, then two on the same port


def ingestion_figures(
    bootstrap: str, registry: str, anchor_url: str, runs: int, seconds: float, peaks: dict[str, float]
) -> list[dict[str, Any]]:
    """Ingestion with one uvicorn worker, then two, on ingest-api alone; its peak RSS into ``peaks``."""
    from bench import ingest

    figures = [dict(f) for f in ingest.anchor_figures(anchor_url, runs, seconds)]
    for workers in INGEST_WORKERS:
        with start_system(bootstrap, registry, [], "bench-ingest-", INGEST_WORKERS=str(workers)) as started:
            pids = {"ingest-api": started["ingest-api"].proc.pid}
            with resources.PeakSampler(pids) as sampler:
                figures += [dict(f) for f in ingest.run(started["ingest-api"].url, workers, runs, seconds)]
            peaks[f"ingest-api, {workers} worker(s), ingestion at saturation"] = sampler.peaks["ingest-api"]
    return figures


def query_two_workers(
    bootstrap: str, registry: str, runs: int, seconds: float, rss: dict[str, Any]
) -> list[dict[str, Any]]:
    """Query with two query-api workers, each holding its own read model; their RSS into ``rss``."""
    from bench import query

    with start_system(bootstrap, registry, PROCESSORS, "bench-q2-", QUERY_WORKERS="2") as started:
        query_api = started["query-api"]
        figures = [
            dict(f) for f in query.run(started["ingest-api"].url, query_api.url, 2, None, runs, seconds)
        ]
        rss["query-api with 2 workers, per process (supervisor first)"] = [
            round(m, 1) for m in resources.worker_rss_mib(query_api.proc.pid)
        ]
    return figures


def system_figures(
    bootstrap: str, registry: str, runs: int, quick: bool
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Ingestion, query and latency figures with wrk, with RSS at rest and peak under load.

    Ingestion runs against ingest-api alone (with query-api), once with one uvicorn worker and once
    with two: saturating it writes far more orders than the processors drain, and that backlog
    would sit in front of every later figure. Query and latency run on a fresh system with every
    processor; query again with two query-api workers, each holding its own read model.
    """
    from bench import ingest, query
    from bench.anchors.starlette_app import StarletteAnchor

    peaks: dict[str, float] = {}
    rss: dict[str, Any] = {}
    seconds = 5.0 if quick else ingest.SECONDS
    with StarletteAnchor() as anchor:
        figures = ingestion_figures(bootstrap, registry, anchor.url, runs, seconds, peaks)
        with start_system(bootstrap, registry, PROCESSORS, "bench-") as started:
            pids = {name: r.proc.pid for name, r in started.items()}
            pids["kafka broker"] = resources.broker_pid()
            time.sleep(3)
            rss["at_rest_mib"] = resources.snapshot(pids)
            ingest_url, query_url = started["ingest-api"].url, started["query-api"].url
            with resources.PeakSampler(pids) as sampler:
                figures += [dict(f) for f in query.run(ingest_url, query_url, 1, anchor.url, runs, seconds)]
                rates = latency.RATES[:2] if quick else latency.RATES
                figures += latency.run(
                    ingest_url, query_url, rates=rates, seconds=5 if quick else 10, runs=runs
                )
            peaks.update(sampler.peaks)
    figures += query_two_workers(bootstrap, registry, runs, seconds, rss)
    rss["peak_under_load_mib"] = peaks
    return figures, rss


def main() -> int:
    """Run every section and write the results; ``--quick`` for a short smoke run."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="fewer and shorter runs (a smoke test)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for chatty in ("httpx", "aiokafka"):  # not one line per request or rebalance
        logging.getLogger(chatty).setLevel(logging.WARNING)
    runs = 1 if args.quick else 3
    started = time.monotonic()
    bootstrap = local_kafka.start_single()
    registry = local_registry.start() + local_registry.CCOMPAT_PATH
    from bench import broker, burst, processing, scale_out, steady, tracing
    from bench.common import machine_facts

    facts = {**machine_facts(), "runs": runs}
    figures: list[dict[str, Any]] = []
    log.info("serde")
    figures += serde_rate.figures()
    log.info("broker anchors")
    figures += [dict(f) for f in broker.run(bootstrap, runs)]
    log.info("whole system: ingestion, query, latency, memory")
    system, rss = system_figures(bootstrap, registry, runs, args.quick)
    figures += [dict(f) for f in system]
    log.info("processing throughput and anchors")
    figures += [dict(f) for f in processing.run(bootstrap, registry, runs)]
    log.info("scale-out: the one-hop processor with one worker, then two of one consumer group")
    figures += [dict(f) for f in scale_out.run(bootstrap, registry, runs)]
    log.info("trace context forwarded without an exporter, against propagation off")
    figures += [dict(f) for f in tracing.run(bootstrap, registry, runs)]
    log.info("a burst through :batch, decided by the checks")
    figures += [dict(f) for f in burst.run(bootstrap, registry, 1)]
    log.info("steady load on a broker of its own: CPU and Kafka requests per order, latency")
    figures += [dict(f) for f in steady.run(registry, runs, args.quick)]
    written = report.write(facts, figures, {"rss": rss, "seconds": round(time.monotonic() - started)})
    for path in written:
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
