"""The registry JVM's pid file and identity, built on the local Kafka launcher's process helpers."""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

from infra.local_kafka.process import process_state, send_signal, wait_exit
from infra.local_registry.exceptions import LocalRegistryError
from infra.local_registry.layout import RegistrySpec, run_jar

log = logging.getLogger(__name__)

CMDLINE_RETRIES = 20


def command_line(pid: int) -> list[str]:
    """Return the argv of pid (empty if it cannot be read)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [arg.decode(errors="replace") for arg in raw.split(b"\0") if arg]


def is_instance(argv: list[str], spec: RegistrySpec | None) -> bool:
    """Whether ``argv`` runs this base dir's quarkus-run.jar as the instance ``spec`` (None: any instance).

    Instances share the jar; each has a directory of its own, named on its command line by its
    snapshot location, so the dev registry is never taken for a test session's, nor the reverse.
    """
    if str(run_jar()) not in argv:
        return False
    return spec is None or f"-Dapicurio.storage.snapshot.location={spec.snapshots_dir}" in argv


def _is_registry_process(pid: int, spec: RegistrySpec | None, retries: int = CMDLINE_RETRIES) -> bool:
    """Return True if pid is a JVM running this base dir's quarkus-run.jar as ``spec`` (None: any).

    A just-forked launcher child shows the parent's (or an empty) argv until its execve, so a
    mismatch is re-read for up to a second before the pid is declared someone else's.
    """
    for attempt in range(retries):
        if is_instance(command_line(pid), spec):
            return True
        if attempt < retries - 1:
            if process_state(pid) is None:
                return False
            time.sleep(0.05)
    return False


def _find_orphan(spec: RegistrySpec | None) -> int | None:
    """Return the pid of a live registry JVM of this base dir (as ``spec``; None: any), if any."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _is_registry_process(int(entry.name), spec, retries=1):
            pid = int(entry.name)
            if process_state(pid) is not None:
                return pid
    return None


def any_running() -> int | None:
    """Return the pid of some registry JVM running from this base dir's distribution, whatever instance."""
    return _find_orphan(None)


def live_pid(spec: RegistrySpec) -> int | None:
    """Return the pid of the instance's running JVM, repairing a stale or missing pid file."""
    try:
        recorded: int | None = int(spec.pid_file.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        recorded = None
    except (OSError, ValueError):
        recorded = -1
    if recorded is not None and recorded > 0 and process_state(recorded) is not None:
        if _is_registry_process(recorded, spec):
            return recorded
    orphan = _find_orphan(spec)
    if orphan is not None:
        log.info("found the registry JVM (pid %d) without a valid pid file; adopting it", orphan)
        spec.pid_file.parent.mkdir(parents=True, exist_ok=True)
        spec.pid_file.write_text(f"{orphan}\n", encoding="utf-8")
        return orphan
    if recorded is not None:
        log.info("removing stale registry pid file %s", spec.pid_file)
        spec.pid_file.unlink(missing_ok=True)
    return None


def system_property(pid: int, name: str) -> str | None:
    """Return the value of ``-D<name>=...`` on pid's command line, if present."""
    prefix = f"-D{name}="
    for arg in command_line(pid):
        if arg.startswith(prefix):
            return arg[len(prefix) :]
    return None


def finish_stop(spec: RegistrySpec, pid: int, timeout: float) -> None:
    """Wait for a requested shutdown, SIGKILL on timeout, and remove the pid file."""
    if not wait_exit(pid, timeout):
        log.warning("registry (pid %d) ignored SIGTERM for %.0fs; sending SIGKILL", pid, timeout)
        send_signal(pid, signal.SIGKILL)
        if not wait_exit(pid, 10.0):
            raise LocalRegistryError(f"registry (pid {pid}) survived SIGKILL")
    spec.pid_file.unlink(missing_ok=True)
    log.info("stopped the registry (pid %d)", pid)
