"""Inspect, signal and stop the local Kafka JVMs (pid files, /proc, TCP port checks)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from infra.local_kafka.exceptions import LocalKafkaError
from infra.local_kafka.layout import HOST, NodeSpec

log = logging.getLogger(__name__)

MAIN_CLASS = "kafka.Kafka"
CMDLINE_RETRIES = 20
_DEAD_STATES = frozenset({"Z", "X", "x"})
_children: dict[int, subprocess.Popen[bytes]] = {}


def register_child(proc: subprocess.Popen[bytes]) -> None:
    """Keep a launched JVM's Popen so its exit status can be collected (no zombies)."""
    _children[proc.pid] = proc


def _reap(pid: int) -> None:
    """Collect the exit status of pid if this process launched it, so it stops being a zombie."""
    proc = _children.get(pid)
    if proc is not None and proc.poll() is not None:
        del _children[pid]


def _thread_count(pid: int) -> int:
    """Return how many threads of pid still exist (0 if it is gone)."""
    try:
        return sum(1 for _ in Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return 0


def process_state(pid: int) -> str | None:
    """Return the /proc state letter of pid (R, S, T, Z...) or None once it has fully exited."""
    _reap(pid)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    state = fields[0] if fields else None
    if state in _DEAD_STATES:
        # A zombie leader whose other threads are still exiting may still hold its sockets.
        return "Z" if _thread_count(pid) > 1 else None
    return state


def _cmdline(pid: int, retries: int = CMDLINE_RETRIES) -> list[bytes]:
    """Return pid's argv, retrying briefly while it is empty (a child caught mid-execve)."""
    for attempt in range(retries):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return []
        if any(argv) or attempt == retries - 1:
            return argv
        time.sleep(0.05)
    return []


def _matches(argv: list[bytes], spec: NodeSpec) -> bool:
    """Return True if argv runs kafka.Kafka with this node's server.properties."""
    return MAIN_CLASS.encode() in argv and str(spec.properties_file).encode() in argv


def _is_node_process(pid: int, spec: NodeSpec) -> bool:
    """Return True if pid is a kafka.Kafka JVM started with this node's server.properties."""
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    return _matches(_cmdline(pid), spec)


def runs_with(pid: int, flags: list[str]) -> bool:
    """Return True if every one of ``flags`` is on pid's command line."""
    argv = _cmdline(pid)
    return all(flag.encode() in argv for flag in flags)


def _find_orphan(spec: NodeSpec) -> int | None:
    """Return the pid of a live JVM for this node that has no (valid) pid file, if any."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _matches(_cmdline(int(entry.name), retries=1), spec):
            pid = int(entry.name)
            if process_state(pid) is not None:
                return pid
    return None


def _read_pid(spec: NodeSpec) -> int | None:
    """Return the pid recorded in the node's pid file, or None if absent or unreadable."""
    try:
        return int(spec.pid_file.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def live_pid(spec: NodeSpec) -> int | None:
    """Return the pid of the node's running JVM, fixing a stale or missing pid file on the way."""
    pid = _read_pid(spec)
    if pid is not None and pid > 0 and process_state(pid) is not None and _is_node_process(pid, spec):
        return pid
    orphan = _find_orphan(spec)
    if orphan is not None:
        log.info("%s: adopting running JVM pid %d (pid file was missing or stale)", spec.name, orphan)
        with contextlib.suppress(OSError):
            spec.pid_file.write_text(f"{orphan}\n", encoding="utf-8")
    elif spec.pid_file.exists():
        log.info("%s: removing stale pid file %s", spec.name, spec.pid_file)
        spec.pid_file.unlink(missing_ok=True)
    return orphan


def port_open(port: int, timeout: float = 0.5) -> bool:
    """Return True if something accepts TCP connections on HOST:port."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def bindable(port: int) -> bool:
    """Whether a listening socket could bind HOST:port now (as the JVM does, with SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_exit(pid: int, timeout: float) -> bool:
    """Wait up to timeout seconds for pid to exit; return True if it did."""
    deadline = time.monotonic() + timeout
    while process_state(pid) is not None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def wait_suspended(pid: int, suspended: bool, timeout: float) -> None:
    """Wait until pid is (or is no longer) stopped by SIGSTOP; raise if that does not happen in time."""
    deadline = time.monotonic() + timeout
    while (process_state(pid) == "T") != suspended:
        if process_state(pid) is None:
            raise LocalKafkaError(f"pid {pid} exited while waiting for SIGSTOP/SIGCONT to take effect")
        if time.monotonic() >= deadline:
            raise LocalKafkaError(f"pid {pid} did not become {'stopped' if suspended else 'resumed'}")
        time.sleep(0.01)


def send_signal(pid: int, sig: signal.Signals) -> None:
    """Send sig to pid, ignoring a process that has already gone."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def request_stop(pid: int) -> None:
    """Ask the JVM for a clean shutdown (SIGTERM, then SIGCONT in case it was SIGSTOPped)."""
    send_signal(pid, signal.SIGTERM)
    send_signal(pid, signal.SIGCONT)


def finish_stop(spec: NodeSpec, pid: int, timeout: float) -> None:
    """Wait for a requested shutdown, SIGKILL on timeout, and remove the pid file."""
    if not wait_exit(pid, timeout):
        log.warning("%s (pid %d) ignored SIGTERM for %.0fs; sending SIGKILL", spec.name, pid, timeout)
        send_signal(pid, signal.SIGKILL)
        if not wait_exit(pid, 10.0):
            raise LocalKafkaError(f"{spec.name} (pid {pid}) survived SIGKILL")
    spec.pid_file.unlink(missing_ok=True)
    log.info("stopped %s (pid %d)", spec.name, pid)


def spawn_detached(cmd: list[str], log_file: Path, cwd: Path, banner: str) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own session, output appended to ``log_file`` after a ``banner`` line.

    The process outlives its caller; it is registered so this process reaps it if it exits first.
    Raises OSError when the command cannot be started.
    """
    with log_file.open("ab") as out:
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
    register_child(proc)
    return proc
