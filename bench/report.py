"""Writes the results of a bench run: JSON, a markdown table, and PNG plots."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")
README = Path(__file__).resolve().parent.parent / "README.md"
README_START = "<!-- bench:start (written by make bench) -->"
README_END = "<!-- bench:end -->"


def _cell(value: Any) -> str:
    """A number as the table shows it."""
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Target:
    """A figure the system is held to (by an issue), found by the start of its name."""

    label: str
    figure: str  # the start of the figure's name
    at_least: float | None = None
    at_most: float | None = None
    before: str = ""  # as measured before the issue (the issue's "now")
    ratio: bool = False  # held to the figure's ratio to its anchor, not its value
    issue: int = 12

    def met(self, value: float) -> bool:
        """Whether ``value`` meets the target."""
        low = self.at_least is None or value >= self.at_least
        return low and (self.at_most is None or value <= self.at_most)

    @property
    def wanted(self) -> str:
        """The target as the table shows it."""
        return f"≥ {self.at_least:g}" if self.at_least is not None else f"≤ {self.at_most:g}"


TARGETS = (
    Target("backlog drained CREATED→VALIDATED (orders/s)", "lifecycle CREATED→VALIDATED", 500, None, "25"),
    Target(
        "CPU per order, steady 100/s (ms)", "steady 100 orders/s offered: CPU per order", None, 8, "25–80"
    ),
    Target(
        "Kafka requests per order, steady 100/s",
        "steady 100 orders/s offered: Kafka requests",
        None,
        10,
        "~50",
    ),
    Target(
        "POST→VALIDATED p99 at 20/s (ms)", "steady 20 orders/s offered: POST→VALIDATED p99", None, 50, "~260"
    ),
    Target(
        "POST→VALIDATED p99 at 100/s (ms)",
        "steady 100 orders/s offered: POST→VALIDATED p99",
        None,
        100,
        "10,600",
    ),
    Target(
        "one hop, our processor against Quix Streams",
        "one hop: consume → decode → check → encode → produce, our Faust processor (after), 20",
        1.0,
        None,
        "0.13",
        ratio=True,
    ),
    Target(
        "burst of 6,000 through :batch: FAILED by time-out",
        "burst of 6,000 orders through :batch, default 30 s validation time-out: FAILED",
        None,
        0,
        "5,730",
    ),
    Target(
        "GET /v1/orders/{id} against the same process's /healthz",
        "query GET /v1/orders/{id}, 32 connections, 1 uvicorn worker",
        0.7,
        None,
        "0.24",
        ratio=True,
        issue=14,
    ),
    *(
        target
        for workers in ("1 uvicorn worker", "2 uvicorn workers")
        for target in (
            Target(
                f"POST /v1/orders, 32 connections, {workers} (orders/s)",
                f"ingestion POST /v1/orders, 32 connections, {workers}: accepted",
                3000,
                None,
                "~565",
                issue=14,
            ),
            Target(
                f"POST /v1/orders, 32 connections, {workers}: p99 (ms)",
                f"ingestion POST /v1/orders, 32 connections, {workers}: latency p99",
                None,
                25,
                "212",
                issue=14,
            ),
            Target(
                f":batch of 500, {workers}, against ProducerPerformance",
                f"ingestion POST /v1/orders:batch of 500, 8 connections, {workers}: accepted",
                0.5,
                None,
                "0.078",
                ratio=True,
                issue=14,
            ),
        )
    ),
    Target(
        "one hop forwarding trace context (no exporter) against propagation off",
        "tracing: one hop, traceparent forwarded without exporter",
        0.97,
        None,
        "0.915",
        ratio=True,
        issue=15,
    ),
    Target(
        "POST /v1/orders starting and forwarding a trace against propagation off",
        "tracing: POST /v1/orders, 32 connections, 1 uvicorn worker, trace started and forwarded",
        0.97,
        None,
        "0.955",
        ratio=True,
        issue=15,
    ),
    Target(
        "Avro encode + decode of an Order with 3 lines, one core (/s)",
        "Avro encode+decode of an Order with 3 lines",
        100_000,
        None,
        issue=14,
    ),
)


def targets(figures: list[dict[str, Any]]) -> list[str]:
    """The targets table: each target beside the median measured in this run, met or not."""
    lines = ["| target | issue | before | target | measured | met |", "|---|---|---|---|---|---|"]
    for target in TARGETS:
        found = next((f for f in figures if f["name"].startswith(target.figure)), None)
        if found is None or (target.ratio and found.get("ratio") is None):
            continue
        value = found["ratio"] if target.ratio else found["value"]
        lines.append(
            f"| {target.label} | {target.issue} | {target.before} | {target.wanted} | {_cell(value)} "
            f"| {'yes' if target.met(value) else 'no'} |"
        )
    return [*lines, ""] if len(lines) > 2 else []


def markdown(facts: dict[str, Any], figures: list[dict[str, Any]]) -> str:
    """The targets and results tables, with the machine and date they were measured on."""
    lines = [
        f"Measured {facts.get('date', '')} on {facts.get('cores', '?')} cores, "
        f"Python {facts.get('python', '?')}, Kafka {facts.get('kafka', '?')}; medians of "
        f"{facts.get('runs', 3)} runs after a warm-up.",
        "",
        *targets(figures),
        "| figure | median | unit | anchor | ratio | runs |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        runs = ", ".join(_cell(r) for r in f.get("runs", []))
        lines.append(
            f"| {f['name']} | {_cell(f['value'])} | {f.get('unit', '')} | {f.get('anchor') or ''} "
            f"| {_cell(f.get('ratio'))} | {runs} |"
        )
    return "\n".join(lines + breakdowns(figures)) + "\n"


def breakdowns(figures: list[dict[str, Any]]) -> list[str]:
    """Lines giving the parts of each figure that has them (per process, per request type...)."""
    parted = [f for f in figures if f.get("breakdown")]
    if not parted:
        return []
    lines = ["", "Parts of the figures above (each the median of the runs, largest first):", ""]
    for f in parted:
        parts = ", ".join(f"{name} {_cell(value)}" for name, value in f["breakdown"].items())
        lines.append(f"- {f['name']} ({f.get('unit', '')}): {parts}")
    return lines


def _bars(names: list[str], values: list[float], xlabel: str, file: str, unity: bool = False) -> Path:
    """One horizontal bar chart under bench/results/; ``unity`` draws the line at 1.0.

    matplotlib (the ``bench`` extra) is imported here, so the tables need only the ``dev`` extra.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 0.5 + 0.45 * len(names)))
    ax.barh(names, values)
    if unity:
        ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    path = RESULTS / file
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plots(figures: list[dict[str, Any]]) -> list[Path]:
    """One bar chart of ratios to anchors, one of latency percentiles."""
    written = []
    ratios = [f for f in figures if f.get("ratio") is not None]
    if ratios:
        names, values = [f["name"] for f in ratios], [f["ratio"] for f in ratios]
        written.append(_bars(names, values, "ratio to anchor (same run)", "ratios.png", unity=True))
    latencies = [f for f in figures if f.get("unit") == "ms"]
    if latencies:
        names, values = [f["name"] for f in latencies], [f["value"] for f in latencies]
        written.append(_bars(names, values, "milliseconds (median of runs)", "latency.png"))
    return written


def write(facts: dict[str, Any], figures: list[dict[str, Any]], extra: dict[str, Any]) -> list[Path]:
    """latest.json, latest.md and the plots under bench/results/."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(
        json.dumps({"machine": facts, "figures": figures, **extra}, indent=2, default=str) + "\n"
    )
    table = markdown(facts, figures)
    (RESULTS / "latest.md").write_text(table)
    update_readme(table)
    return [RESULTS / "latest.json", RESULTS / "latest.md", *plots(figures), README]


def update_readme(table: str, readme: Path = README) -> None:
    """Put ``table`` between the README's bench markers, so no figure there is written by hand."""
    text = readme.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{readme} has no {README_START} … {README_END} section")
    readme.write_text(f"{text[: start + len(README_START)]}\n{table}{text[end:]}")
