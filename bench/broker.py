"""Broker bound: Kafka's own ProducerPerformance and EndToEndLatency on the local broker.

``python -m bench.broker [--bootstrap 127.0.0.1:9092] [--runs 3]`` prints the figures as JSON.
Each tool runs once as a warm-up, then ``runs`` times, on fresh topics deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from typing import Any

from bench.common import Figure, encoded_order_size, figure, java_tool, median_of, run_command

PERF_RECORDS = 200_000
E2E_MESSAGES = 5_000
PARTITIONS = 6  # as order-requests (the deployment's default)
TOOL_TIMEOUT_S = 180
LAST_RECORDS_PER_S: float | None = None  # the last run()'s median, the anchor bench.ingest uses

_PERF_LINE = re.compile(r"(\d+) records sent, ([\d.]+) records/sec .*?([\d.]+) ms avg latency")
_PERF_PCTL = re.compile(r"(\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th")
_E2E_AVG = re.compile(r"Avg latency: ([\d.]+) ms")
_E2E_PCTL = re.compile(r"Percentiles: 50th = ([\d.]+), 99th = ([\d.]+), 99\.9th = ([\d.]+)")


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """A topic of ``partitions`` partitions, replication factor 1."""
    run_command(
        java_tool(
            "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--create",
            "--topic", topic, "--partitions", str(partitions), "--replication-factor", "1",
            heap="-Xmx256m",
        ),
        timeout_s=60,
    )  # fmt: skip


def delete_topic(bootstrap: str, topic: str) -> None:
    """Delete ``topic`` (best effort)."""
    try:
        run_command(
            java_tool(
                "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--delete",
                "--topic", topic, heap="-Xmx256m",
            ),
            timeout_s=60,
        )  # fmt: skip
    except RuntimeError:
        pass


def producer_performance(bootstrap: str, topic: str, records: int, record_size: int) -> dict[str, float]:
    """One ProducerPerformance run (acks=all, unthrottled): records/s and latency percentiles."""
    out = run_command(
        java_tool(
            "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
            "--num-records", str(records), "--record-size", str(record_size), "--throughput", "-1",
            "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all",
        ),
        timeout_s=TOOL_TIMEOUT_S,
    )  # fmt: skip
    final = [line for line in out.splitlines() if _PERF_LINE.search(line) and "99th" in line]
    if not final:
        raise RuntimeError(f"no summary line in ProducerPerformance output:\n{out[-2000:]}")
    line = final[-1]
    total = _PERF_LINE.search(line)
    pctl = _PERF_PCTL.search(line)
    if total is None or pctl is None:
        raise RuntimeError(f"unexpected ProducerPerformance summary: {line}")
    return {
        "records": float(total.group(1)),
        "records_per_s": float(total.group(2)),
        "avg_ms": float(total.group(3)),
        "p50_ms": float(pctl.group(1)),
        "p99_ms": float(pctl.group(3)),
    }


def end_to_end_latency(bootstrap: str, topic: str, messages: int, size: int) -> dict[str, float]:
    """One EndToEndLatency run (acks=all): one message at a time, produce → consume, in ms.

    Kafka 4.1 prints ``Avg latency: 2.6368 ms`` then ``Percentiles: 50th = 1, 99th = 11, 99.9th = 31``
    (percentiles in whole milliseconds).
    """
    out = run_command(
        java_tool(
            "org.apache.kafka.tools.EndToEndLatency", bootstrap, topic, str(messages), "all", str(size)
        ),
        timeout_s=TOOL_TIMEOUT_S,
    )
    avg, pctl = _E2E_AVG.search(out), _E2E_PCTL.search(out)
    if avg is None or pctl is None:
        raise RuntimeError(f"no latency summary in EndToEndLatency output:\n{out[-2000:]}")
    return {"avg_ms": float(avg.group(1)), "p50_ms": float(pctl.group(1)), "p99_ms": float(pctl.group(2))}


def run(
    bootstrap: str,
    runs: int = 3,
    records: int = PERF_RECORDS,
    messages: int = E2E_MESSAGES,
    record_size: int | None = None,
) -> list[Figure]:
    """ProducerPerformance records/s and EndToEndLatency p50/p99: medians of ``runs`` after a warm-up."""
    size = record_size or encoded_order_size()
    stem = f"bench-broker-{uuid.uuid4().hex[:8]}"
    perf_topic, e2e_topic = f"{stem}-perf", f"{stem}-e2e"
    create_topic(bootstrap, perf_topic, PARTITIONS)
    create_topic(bootstrap, e2e_topic, 1)
    try:
        producer_performance(bootstrap, perf_topic, max(records // 4, 1000), size)  # warm-up
        perf = [producer_performance(bootstrap, perf_topic, records, size) for _ in range(runs)]
        end_to_end_latency(bootstrap, e2e_topic, max(messages // 5, 200), size)  # warm-up
        e2e = [end_to_end_latency(bootstrap, e2e_topic, messages, size) for _ in range(runs)]
    finally:
        delete_topic(bootstrap, perf_topic)
        delete_topic(bootstrap, e2e_topic)
    global LAST_RECORDS_PER_S  # the anchor of later sections in this process
    LAST_RECORDS_PER_S = median_of([r["records_per_s"] for r in perf])
    perf_detail: list[dict[str, Any]] = [dict(r) for r in perf]
    e2e_detail: list[dict[str, Any]] = [dict(r) for r in e2e]
    whole_ms = {"p50": [r["p50_ms"] for r in e2e], "p99": [r["p99_ms"] for r in e2e]}
    return [
        figure(
            f"Kafka ProducerPerformance, {size}-byte records, acks=all, {PARTITIONS} partitions",
            [r["records_per_s"] for r in perf],
            "records/s",
            detail=perf_detail,
        ),
        figure(
            f"Kafka EndToEndLatency mean, {size}-byte records, acks=all",
            [r["avg_ms"] for r in e2e],
            "ms",
        ),
        *(
            figure(
                f"Kafka EndToEndLatency {q} (whole ms), {size}-byte records, acks=all",
                values,
                "ms",
                detail=e2e_detail,
            )
            for q, values in whole_ms.items()
        ),
    ]


def main() -> None:
    """Measure against a running broker and print the figures as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.broker")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--records", type=int, default=PERF_RECORDS)
    parser.add_argument("--messages", type=int, default=E2E_MESSAGES)
    args = parser.parse_args()
    figures = run(args.bootstrap, args.runs, args.records, args.messages)
    sys.stdout.write(json.dumps(figures) + "\n")


if __name__ == "__main__":
    main()
