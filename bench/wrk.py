"""wrk, the native HTTP load generator, driven from the bench: one bounded run, its figures as a dict.

wrk (Debian's package, installed by ``make bench``) is written in C and keeps 32 connections busy
with a fraction of one core, so what it measures is the service, not the generator (a Python client
on the same two cores saturated first: its "minimal Starlette endpoint" read 868 requests/s,
wrk reads ~10,000). The Lua scripts under ``bench/wrk/`` vary the POST bodies (a new order id per
request), count every status code, and print one ``WRK_JSON`` line that :func:`load` parses.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypedDict

from bench.common import Figure, figure, median_of

SCRIPTS = Path(__file__).with_name("wrk")
THREADS = 2  # one per core: wrk's event loops
MARKER = "WRK_JSON "


class WrkResult(TypedDict):
    """One wrk run: ``ok`` counts answers with the expected status; latencies in ms (wrk's histogram)."""

    seconds: float
    connections: int
    requests: int
    ok: int
    ok_per_s: float
    statuses: dict[str, int]
    socket_errors: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


def executable() -> str:
    """The wrk on PATH; a clear error naming the fix when there is none."""
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    return found


def load(
    url: str,
    script: str,
    args: Sequence[str] = (),
    *,
    connections: int,
    seconds: float,
    ok_status: int,
) -> WrkResult:
    """Run ``bench/wrk/<script>`` against ``url`` for ``seconds`` with ``connections`` (closed loop).

    ``args`` go to the script (after ``--``). Raises RuntimeError when wrk fails or prints no result.
    """
    argv = [
        executable(), f"-t{THREADS}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s",
        "-s", str(SCRIPTS / script), url, "--", *args,
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)  # noqa: S603 - wrk with our own scripts and arguments
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(MARKER)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk {script} failed ({done.returncode}): {done.stderr[-2000:]}{done.stdout[-2000:]}"
        )
    raw = json.loads(line.removeprefix(MARKER))
    elapsed = raw["microseconds"] / 1e6
    statuses = {str(k): int(v) for k, v in raw["statuses"].items()}
    ok = statuses.get(str(ok_status), 0)
    latency = raw["latency_us"]
    return WrkResult(
        seconds=round(elapsed, 3),
        connections=connections,
        requests=int(raw["requests"]),
        ok=ok,
        ok_per_s=round(ok / elapsed, 1),
        statuses=statuses,
        socket_errors={k: int(v) for k, v in raw["socket_errors"].items()},
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
    )


def detail(results: Sequence[WrkResult]) -> list[dict[str, object]]:
    """What a figure's detail keeps of each run: counts, statuses, errors, p50/p99 and duration."""
    keys = ("requests", "ok", "statuses", "socket_errors", "p50_ms", "p99_ms", "seconds")
    return [{k: r[k] for k in keys} for r in results]  # type: ignore[literal-required]  # keys are WrkResult fields, chosen by name


def rounds(
    loads: Sequence[Callable[[float], WrkResult]], runs: int, seconds: float, warmup_seconds: float
) -> list[list[WrkResult]]:
    """Each load's results of ``runs`` rounds of ``seconds``, after a warm-up of each.

    The loads take turns within a round, so drifting background load hits all of them alike.
    """
    for load_for in loads:
        load_for(warmup_seconds)
    results: list[list[WrkResult]] = [[] for _ in loads]
    for _ in range(runs):
        for load_for, kept in zip(loads, results, strict=True):
            kept.append(load_for(seconds))
    return results


def beside_floor(
    floor_name: str, floors: Sequence[WrkResult], name: str, ours: Sequence[WrkResult], unit: str
) -> list[Figure]:
    """The floor (the same process's ``/healthz``) in requests/s, then ours with the floor as its anchor."""
    floor = median_of([r["ok_per_s"] for r in floors])
    return [
        figure(floor_name, [r["ok_per_s"] for r in floors], "requests/s", detail=detail(floors)),
        figure(
            name,
            [r["ok_per_s"] for r in ours],
            unit,
            anchor=f"its own /healthz {floor:,.0f} req/s",
            anchor_value=floor,
            detail=detail(ours),
        ),
    ]
