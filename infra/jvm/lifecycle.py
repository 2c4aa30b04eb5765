"""Launch a local JVM detached from this process, resume it, stop it.

A launched JVM runs in a session of its own, so it outlives the command that started it; its
output is appended to one file, each launch after a start banner (:data:`BANNER`) that
:func:`infra.jvm.readiness.latest_run` finds again.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from pathlib import Path

from infra.jvm import procfs
from infra.jvm.instance import JvmInstance, live_pid, record_pid

log = logging.getLogger(__name__)

BANNER = "=== "
SIGKILL_WAIT_S = 10.0


def _spawn(cmd: list[str], output: Path, cwd: Path, banner: str) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own session, its output appended to ``output`` after a ``banner`` line.

    The process is registered so this process reaps it if it exits first. Raises OSError.
    """
    with output.open("ab") as out:
        out.write(f"\n{banner}\n".encode())
        out.flush()
        proc = subprocess.Popen(  # noqa: S603 - fixed argv built by the launchers, no shell
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )
    procfs.register_child(proc)
    return proc


def launch(instance: JvmInstance, cmd: list[str], about: str) -> int:
    """Start ``cmd`` as the instance's detached JVM, record its pid file and return the pid.

    ``about`` (where it listens, how it is configured) goes into the banner and the log line.
    Raises ``instance.error`` when the command cannot be started (no such java, no directory).
    """
    banner = f"{BANNER}{time.strftime('%Y-%m-%d %H:%M:%S')} starting {instance.name} ({about})"
    try:
        proc = _spawn(cmd, instance.output, instance.directory, banner)
    except OSError as exc:
        raise instance.error(f"{instance.name}: could not start java: {exc}") from exc
    record_pid(instance, proc.pid)
    log.info("started %s (pid %d, %s)", instance.name, proc.pid, about)
    return proc.pid


def resume_if_suspended(instance: JvmInstance, pid: int) -> None:
    """Send SIGCONT to the instance's JVM if it was stopped by SIGSTOP."""
    if procfs.process_state(pid) == "T":
        log.info("%s (pid %d) was suspended; sending SIGCONT", instance.name, pid)
        procfs.send_signal(pid, signal.SIGCONT)


def request_stop(pid: int) -> None:
    """Ask the JVM for a clean shutdown (SIGTERM, then SIGCONT in case it was SIGSTOPped)."""
    procfs.send_signal(pid, signal.SIGTERM)
    procfs.send_signal(pid, signal.SIGCONT)


def finish_stop(instance: JvmInstance, pid: int, timeout: float) -> None:
    """Wait ``timeout`` s for a requested shutdown, then SIGKILL; remove the pid file once it exited.

    Raises ``instance.error`` if the JVM survives SIGKILL for 10 s.
    """
    if not procfs.wait_exit(pid, timeout):
        log.warning("%s (pid %d) ignored SIGTERM for %.0fs; sending SIGKILL", instance.name, pid, timeout)
        procfs.send_signal(pid, signal.SIGKILL)
        if not procfs.wait_exit(pid, SIGKILL_WAIT_S):
            raise instance.error(f"{instance.name} (pid {pid}) survived SIGKILL")
    instance.pid_file.unlink(missing_ok=True)
    log.info("stopped %s (pid %d)", instance.name, pid)


def stop(instance: JvmInstance, timeout: float) -> None:
    """Stop the instance's JVM if it runs: SIGTERM, SIGKILL after ``timeout`` s (see :func:`finish_stop`)."""
    pid = live_pid(instance)
    if pid is not None:
        request_stop(pid)
        finish_stop(instance, pid, timeout)
