"""Wait until a launched JVM answers, and say why it did not: the poll loop and its output's tail."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from infra.jvm.lifecycle import BANNER
from schemas.exceptions import ShopStreamError

POLL_INTERVAL_S = 0.25
MIN_PROBE_S = 0.5
TAIL_BYTES = 65536


def probe_limit(deadline: float, cap: float) -> float:
    """Seconds one probe may take: what is left until ``deadline`` (``time.monotonic``), within 0.5..cap."""
    return max(MIN_PROBE_S, min(cap, deadline - time.monotonic()))


def poll_until_ready(
    ready: Callable[[float], bool],
    check_alive: Callable[[], None],
    timeout: float,
    timed_out: Callable[[], ShopStreamError],
) -> None:
    """Block until ``ready(deadline)`` is True, polling every 0.25 s for up to ``timeout`` s.

    ``check_alive`` runs before each probe and raises when the JVM has exited; after ``timeout``
    the error ``timed_out()`` builds is raised (the JVM is left running: a slow start may finish).
    """
    deadline = time.monotonic() + timeout
    while True:
        check_alive()
        if ready(deadline):
            return
        if time.monotonic() >= deadline:
            raise timed_out()
        time.sleep(POLL_INTERVAL_S)


def tail_lines(path: Path, max_bytes: int = TAIL_BYTES) -> list[str]:
    """Return the lines of the last ``max_bytes`` of a text file (empty if unreadable)."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - max_bytes))
            return handle.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return []


def latest_run(output: Path, max_bytes: int = TAIL_BYTES) -> list[str]:
    """Return the lines a JVM wrote to ``output`` since its last start banner (within ``max_bytes``)."""
    lines = tail_lines(output, max_bytes)
    marker = max((i for i, line in enumerate(lines) if line.startswith(BANNER)), default=-1)
    return lines[marker + 1 :]
