"""Inspect, signal and stop the local Kafka JVMs (pid files, /proc, TCP port checks)."""

from __future__ import annotations

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
_DEAD_STATES = frozenset({"Z", "X", "x"})
_children: dict[int, subprocess.Popen[bytes]] = {}


def register_child(proc: subprocess.Popen[bytes]) -> None:
    """Keep a launched JVM's Popen so its exit status can be collected (no zombies)."""
    _children[proc.pid] = proc


def _reap(pid: int) -> None:
    """Collect the exit status of pid if it is our exited child, so it stops being a zombie."""
    proc = _children.get(pid)
    if proc is not None:
        if proc.poll() is not None:
            del _children[pid]
        return
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def process_state(pid: int) -> str | None:
    """Return the /proc state letter of pid (R, S, T, Z...) or None if it does not exist."""
    _reap(pid)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    state = fields[0] if fields else None
    return None if state in _DEAD_STATES else state


def _is_node_process(pid: int, spec: NodeSpec) -> bool:
    """Return True if pid is a kafka.Kafka JVM started with this node's server.properties."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return MAIN_CLASS.encode() in argv and str(spec.properties_file).encode() in argv


def live_pid(spec: NodeSpec) -> int | None:
    """Return the pid of the node's running JVM, removing a stale pid file if there is none."""
    try:
        pid = int(spec.pid_file.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        pid = -1
    if pid > 0 and process_state(pid) is not None and _is_node_process(pid, spec):
        return pid
    log.info("%s: removing stale pid file %s", spec.name, spec.pid_file)
    spec.pid_file.unlink(missing_ok=True)
    return None


def port_open(port: int, timeout: float = 0.5) -> bool:
    """Return True if something accepts TCP connections on HOST:port."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_exit(pid: int, timeout: float) -> bool:
    """Wait up to timeout seconds for pid to exit; return True if it did."""
    deadline = time.monotonic() + timeout
    while process_state(pid) is not None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


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
