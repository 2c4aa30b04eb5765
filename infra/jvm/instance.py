"""One local JVM: how its command line tells it from every other process, and where its pid file is.

The pid file is a hint, not the truth: :func:`live_pid` checks that the recorded pid is alive and
runs this instance, removes a stale file, and adopts a JVM that runs without one (its launcher was
killed before writing it, or the file was deleted), so any process can find and stop it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.jvm import procfs
from schemas.exceptions import ShopStreamError

log = logging.getLogger(__name__)

CMDLINE_RETRIES = 20
CMDLINE_RETRY_S = 0.05


@dataclass(frozen=True)
class JvmInstance:
    """What identifies one local JVM and where its launcher keeps track of it.

    ``marks``: arguments its command line holds and no other instance's does (a main class and its
    config file; a jar and a data directory). ``directory``: its working directory; ``output``: the
    file its stdout and stderr are appended to; ``error``: the exception type raised about it.
    """

    name: str
    pid_file: Path
    marks: tuple[str, ...]
    directory: Path
    output: Path
    error: type[ShopStreamError]

    def __post_init__(self) -> None:
        if not self.marks:
            raise ValueError(f"{self.name}: an instance without marks would match every process")

    def matches(self, argv: Sequence[str]) -> bool:
        """Whether ``argv`` is this instance's command line (it holds every mark)."""
        return all(mark in argv for mark in self.marks)


def find_running(marks: tuple[str, ...]) -> int | None:
    """Return the pid of a live process whose argv holds every one of ``marks``, if any (scans /proc)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        argv = procfs.command_line(pid)
        if argv and all(mark in argv for mark in marks) and procfs.process_state(pid) is not None:
            return pid
    return None


def runs(pid: int, instance: JvmInstance, retries: int = CMDLINE_RETRIES) -> bool:
    """Whether pid is ``instance``'s JVM: a child of this process while it lives, else by its argv.

    A just-forked launcher child shows the parent's (or an empty) argv until its execve, so a
    mismatch is re-read for up to a second before the pid is declared someone else's.
    """
    alive = procfs.child_alive(pid)
    if alive is not None:
        return alive
    for attempt in range(retries):
        if instance.matches(procfs.command_line(pid)):
            return True
        if attempt < retries - 1:
            if procfs.process_state(pid) is None:
                return False
            time.sleep(CMDLINE_RETRY_S)
    return False


def record_pid(instance: JvmInstance, pid: int) -> None:
    """Write ``pid`` to the instance's pid file (creating its directory). Raises OSError."""
    instance.pid_file.parent.mkdir(parents=True, exist_ok=True)
    instance.pid_file.write_text(f"{pid}\n", encoding="utf-8")


def _recorded_pid(instance: JvmInstance) -> int | None:
    """Return the pid in the instance's pid file, None if it is absent or unreadable."""
    try:
        return int(instance.pid_file.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def live_pid(instance: JvmInstance) -> int | None:
    """Return the pid of the instance's running JVM (None: down), repairing its pid file on the way."""
    pid = _recorded_pid(instance)
    if pid is not None and pid > 0 and procfs.process_state(pid) is not None and runs(pid, instance):
        return pid
    orphan = find_running(instance.marks)
    if orphan is not None:
        log.info("%s: adopting running JVM pid %d (pid file was missing or stale)", instance.name, orphan)
        with contextlib.suppress(OSError):
            record_pid(instance, orphan)
    elif instance.pid_file.exists():
        log.info("%s: removing stale pid file %s", instance.name, instance.pid_file)
        instance.pid_file.unlink(missing_ok=True)
    return orphan
