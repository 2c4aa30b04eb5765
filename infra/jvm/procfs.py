"""What ``/proc`` says about a process (its state, its argv) and the signals sent to it.

The JVMs this process launches are kept (:func:`register_child`) and reaped whenever their state
is read, so that a stopped JVM does not linger as this process's zombie.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from schemas.exceptions import ShopStreamError

_DEAD_STATES = frozenset({"Z", "X", "x"})
_STATE_NAMES = {None: "down", "T": "suspended", "Z": "exiting"}
_children: dict[int, subprocess.Popen[bytes]] = {}


def register_child(proc: subprocess.Popen[bytes]) -> None:
    """Keep a launched JVM's Popen so its exit status can be collected (no zombies)."""
    _children[proc.pid] = proc


def child_alive(pid: int) -> bool | None:
    """Whether ``pid``, launched by this process, still runs; None if this process did not launch it."""
    proc = _children.get(pid)
    return None if proc is None else proc.poll() is None


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


def state_name(pid: int | None) -> str:
    """Name pid's state for a status line: down (or None), suspended (SIGSTOP), exiting, running."""
    return _STATE_NAMES.get(process_state(pid) if pid is not None else None, "running")


def command_line(pid: int) -> list[str]:
    """Return the argv of pid (empty if it cannot be read, or while the process execs)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [arg.decode(errors="replace") for arg in raw.split(b"\0") if arg]


def runs_with(pid: int, flags: list[str]) -> bool:
    """Return True if every one of ``flags`` is on pid's command line."""
    argv = command_line(pid)
    return all(flag in argv for flag in flags)


def system_property(pid: int, name: str) -> str | None:
    """Return the value of ``-D<name>=...`` on pid's command line, if present."""
    prefix = f"-D{name}="
    for arg in command_line(pid):
        if arg.startswith(prefix):
            return arg[len(prefix) :]
    return None


def send_signal(pid: int, sig: signal.Signals) -> None:
    """Send sig to pid, ignoring a process that has already gone."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def wait_exit(pid: int, timeout: float) -> bool:
    """Wait up to timeout seconds for pid to exit; return True if it did."""
    deadline = time.monotonic() + timeout
    while process_state(pid) is not None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def wait_suspended(pid: int, suspended: bool, timeout: float, error: type[ShopStreamError]) -> None:
    """Wait until pid is (or is no longer) stopped by SIGSTOP; raise ``error`` if it exits or times out."""
    deadline = time.monotonic() + timeout
    while (process_state(pid) == "T") != suspended:
        if process_state(pid) is None:
            raise error(f"pid {pid} exited while waiting for SIGSTOP/SIGCONT to take effect")
        if time.monotonic() >= deadline:
            raise error(f"pid {pid} did not become {'stopped' if suspended else 'resumed'}")
        time.sleep(0.01)
