"""Blocking readiness probe: ``GET /apis/ccompat/v7/subjects`` must answer 200."""

from __future__ import annotations

import logging

import httpx

from infra.jvm.procfs import process_state
from infra.jvm.readiness import latest_run, poll_until_ready, probe_limit
from infra.local_registry.exceptions import LocalRegistryError
from infra.local_registry.layout import RegistrySpec

log = logging.getLogger(__name__)

READY_PATH = "/apis/ccompat/v7/subjects"
PROBE_TIMEOUT_S = 3.0


def answers(spec: RegistrySpec, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Return True if the ccompat API lists subjects (HTTP 200) within ``timeout`` seconds."""
    try:
        response = httpx.get(spec.url + READY_PATH, timeout=timeout, trust_env=False)
    except httpx.HTTPError as exc:
        log.debug("probe of %s failed: %r", spec.url, exc)
        return False
    return response.status_code == httpx.codes.OK


def failure_summary(spec: RegistrySpec) -> str:
    """Return the ERROR lines of the latest run from the log, else its last lines."""
    run = [line for line in latest_run(spec.log_file) if line.strip()]
    picked: list[str] = []
    for index, line in enumerate(run):
        if " ERROR " in line or " FATAL " in line or line.startswith("Error"):
            follow = run[index + 1 : index + 2]
            picked += [line] + [f for f in follow if not f[:1].isdigit() and not f.lstrip().startswith("at ")]
    return "\n".join(picked[-6:] or run[-8:])


def _check_alive(spec: RegistrySpec, pid: int) -> None:
    """Raise LocalRegistryError quoting the log if the registry's JVM has exited."""
    if process_state(pid) is None:
        raise LocalRegistryError(
            f"the registry (pid {pid}) exited during startup; see {spec.log_file}\n"
            f"{failure_summary(spec)}".rstrip()
        )


def wait_ready(spec: RegistrySpec, pid: int, timeout: float) -> None:
    """Block until the registry answers, or raise LocalRegistryError (exit or timeout)."""

    def timed_out() -> LocalRegistryError:
        return LocalRegistryError(
            f"the registry at {spec.url} did not answer GET {READY_PATH} with 200 within "
            f"{timeout:.0f}s (pid {pid} is left running: call start again to keep waiting, "
            f"or stop it); see {spec.log_file}"
        )

    poll_until_ready(
        ready=lambda deadline: answers(spec, probe_limit(deadline, PROBE_TIMEOUT_S)),
        check_alive=lambda: _check_alive(spec, pid),
        timeout=timeout,
        timed_out=timed_out,
    )
