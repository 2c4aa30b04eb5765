"""Blocking readiness probe: ``GET /apis/ccompat/v7/subjects`` must answer 200."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx

from infra.local_kafka.process import process_state
from infra.local_registry.exceptions import LocalRegistryError
from infra.local_registry.layout import RegistrySpec

log = logging.getLogger(__name__)

READY_PATH = "/apis/ccompat/v7/subjects"
PROBE_TIMEOUT_S = 3.0
POLL_INTERVAL_S = 0.25
START_MARKER = "=== "


def answers(spec: RegistrySpec, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Return True if the ccompat API lists subjects (HTTP 200)."""
    try:
        response = httpx.get(spec.url + READY_PATH, timeout=timeout, trust_env=False)
    except httpx.HTTPError as exc:
        log.debug("probe of %s failed: %r", spec.url, exc)
        return False
    return response.status_code == httpx.codes.OK


def _tail(path: Path, max_bytes: int = 65536) -> list[str]:
    """Return the lines of the last max_bytes of a text file (empty if unreadable)."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - max_bytes))
            return handle.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return []


def failure_summary(spec: RegistrySpec) -> str:
    """Return the ERROR lines of the latest run from the log, else its last lines."""
    lines = _tail(spec.log_file)
    marker = max((i for i, line in enumerate(lines) if line.startswith(START_MARKER)), default=-1)
    run = [line for line in lines[marker + 1 :] if line.strip()]
    picked: list[str] = []
    for index, line in enumerate(run):
        if " ERROR " in line or " FATAL " in line or line.startswith("Error"):
            follow = run[index + 1 : index + 2]
            picked += [line] + [f for f in follow if not f[:1].isdigit() and not f.lstrip().startswith("at ")]
    return "\n".join(picked[-6:] or run[-8:])


def wait_ready(spec: RegistrySpec, pid: int, timeout: float) -> None:
    """Block until the registry answers, or raise LocalRegistryError (exit or timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        if process_state(pid) is None:
            raise LocalRegistryError(
                f"the registry (pid {pid}) exited during startup; see {spec.log_file}\n"
                f"{failure_summary(spec)}".rstrip()
            )
        remaining = deadline - time.monotonic()
        if answers(spec, max(0.5, min(PROBE_TIMEOUT_S, remaining))):
            return
        if time.monotonic() >= deadline:
            raise LocalRegistryError(
                f"the registry at {spec.url} did not answer GET {READY_PATH} with 200 within "
                f"{timeout:.0f}s (pid {pid} is left running: call start again to keep waiting, "
                f"or stop it); see {spec.log_file}"
            )
        time.sleep(POLL_INTERVAL_S)
