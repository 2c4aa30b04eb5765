"""Memory verdicts and the JSON + Markdown reports of a soak run.

A process is "flat" when the least-squares slope of its RSS after warm-up stays below
``SLOPE_LIMIT_MIB_PER_MIN``. 1 MiB/min is 10 MiB over a 10-minute soak, within the allocator noise
of a 100-200 MiB Python process, yet a leak of only 0.5 KB per order shows up above it at the
default 50 calls/s (~2,400 orders/min ≈ 1.2 MiB/min). query-api keeps every order view in memory by
design (README: ~2.1 KB per order with ``QUERY_STORE=memory``), so its limit adds that expected
growth. The JVMs (broker, registry) grow their heap up to ``-Xmx`` by design: reported, not judged.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

SLOPE_LIMIT_MIB_PER_MIN = 1.0
QUERY_API_KB_PER_ORDER = 2.1
JVMS = frozenset({"kafka-broker", "registry"})


def warm_up_s(samples: list[dict[str, Any]]) -> float:
    """Samples before this time are warm-up: 20% of the run, at least 30 s and at most 120 s."""
    duration = samples[-1]["t_s"] if samples else 0.0
    return float(min(120.0, max(30.0, 0.2 * duration)))


def slope_mib_per_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (t seconds, MiB) in MiB per minute; None with fewer than 3 points."""
    if len(points) < 3:
        return None
    fit = statistics.linear_regression([t / 60 for t, _ in points], [m for _, m in points])
    return round(fit.slope, 3)


def memory_verdicts(samples: list[dict[str, Any]], orders_per_min: float) -> dict[str, dict[str, Any]]:
    """Per process: RSS at warm-up end and at the end, slope after warm-up, limit, verdict."""
    start = warm_up_s(samples)
    names = sorted({name for s in samples for name in s["rss_mib"]})
    verdicts: dict[str, dict[str, Any]] = {}
    for name in names:
        points = [(s["t_s"], s["rss_mib"][name]) for s in samples if s["t_s"] >= start]
        points = [(t, m) for t, m in points if m is not None]
        slope = slope_mib_per_min(points)
        limit = SLOPE_LIMIT_MIB_PER_MIN
        if name == "query-api":
            limit += orders_per_min * QUERY_API_KB_PER_ORDER / 1024
        if name in JVMS:
            verdict = "reported (JVM heap grows to -Xmx by design)"
        elif slope is None:
            verdict = "too few samples after warm-up"
        else:
            verdict = "flat" if slope < limit else "GROWING"
        verdicts[name] = {
            "rss_after_warm_up_mib": points[0][1] if points else None,
            "rss_end_mib": points[-1][1] if points else None,
            "slope_mib_per_min": slope,
            "limit_mib_per_min": round(limit, 2),
            "verdict": verdict,
        }
    return verdicts


def _markdown(result: dict[str, Any]) -> str:
    """The report as Markdown tables."""
    s, lat, ledger = result["settings"], result["latency_ms"], result["ledger"]
    lines = [
        f"# Soak: {s['seconds']:g} s at {s['rate_per_s']:g} calls/s",
        "",
        f"Orders accepted per minute: {result['orders_per_min']}. POST→VALIDATED latency over "
        f"{lat['samples']} sampled orders: p50 {lat['p50']} ms, p90 {lat['p90']} ms, "
        f"p95 {lat['p95']} ms, p99 {lat['p99']} ms.",
        "",
        "## Memory after warm-up",
        "",
        "| process | RSS after warm-up (MiB) | RSS at end (MiB) | slope (MiB/min) | limit | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in result["memory"].items():
        lines.append(
            f"| {name} | {m['rss_after_warm_up_mib']} | {m['rss_end_mib']} | {m['slope_mib_per_min']} "
            f"| {m['limit_mib_per_min']} | {m['verdict']} |"
        )
    lines += [
        "",
        "## Every 10 s",
        "",
        "| t (s) | accepted/s | decided/s | p50 ms | p95 ms |",
        "|---|---|---|---|---|",
    ]
    for x in result["samples"]:
        lines.append(
            f"| {x['t_s']} | {x['accepted_per_s']} | {x['decided_per_s']} "
            f"| {x['latency_ms']['p50']} | {x['latency_ms']['p95']} |"
        )
    lines += ["", "## Ledger", "", "```json", json.dumps(ledger, indent=2), "```", ""]
    return "\n".join(lines)


def write_reports(out_dir: Path, result: dict[str, Any]) -> None:
    """``soak.json`` and ``soak.md`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    (out_dir / "soak.md").write_text(_markdown(result))
