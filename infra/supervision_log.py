"""The lines ``make up`` shows from supervisord: its own, told plainly, and each service's log file.

supervisord says ``exited: orders (terminated by SIGKILL; not expected)`` and, a tick later,
``spawned: 'orders' with pid 4242``. :class:`Narrator` replaces the first with what supervisord will
do about it, from the program's :class:`~infra.supervision.RestartPolicy` and supervisord's rules
(supervisor/process.py, ``Subprocess.finish`` and ``transition``): a program that exits after running
``startsecs`` is restarted at the next tick; one that exits sooner waits one second more for each
such exit in a row, and is left stopped after ``startretries`` of them; with ``autorestart=unexpected``
an expected exit code ends it for good. :class:`LogFollower` reads what a service wrote to its log file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from infra.supervision import GROUP, RESTART_TICK_S, Program

# supervisord's log format: "2026-11-30 09:05:31,123 INFO message"
_LINE = re.compile(r"(?P<when>\d{4}-\d\d-\d\d (?P<time>\d\d:\d\d:\d\d),\d{3}) [A-Z]+ (?P<message>.*)")
_SPAWNED = re.compile(r"spawned: '(?P<name>[^']+)' with pid \d+")
_RUNNING = re.compile(r"success: (?P<name>\S+) entered RUNNING state.*")
_EXITED = re.compile(r"exited: (?P<name>\S+) \((?P<how>.+); (?P<expected>not expected|expected)\)")


@dataclass(frozen=True, slots=True)
class Told:
    """One line to show: supervisord's time (``HH:MM:SS``) when the line had one, and the text."""

    time: str | None
    text: str


class Narrator:
    """Follows supervisord's lines for ``programs``; says for each exit whether and when it restarts."""

    def __init__(self, programs: Sequence[Program], ctl: str) -> None:
        self._policies = {p.name: p.policy for p in programs}
        self._ctl = ctl  # how a person runs supervisorctl on this run's config
        self._spawned: dict[str, datetime] = {}
        self._failed_starts: dict[str, int] = {}

    def tell(self, line: str) -> Told:
        """What to show for one line supervisord wrote."""
        text = line.rstrip("\r\n")
        parsed = _LINE.fullmatch(text)
        if not parsed:
            return Told(None, text)  # say a traceback of supervisord itself
        when = datetime.strptime(parsed["when"], "%Y-%m-%d %H:%M:%S,%f")
        return Told(parsed["time"], self._message(parsed["message"], when))

    def _message(self, message: str, when: datetime) -> str:
        """``message`` as it is, except an exit, which gets what supervisord does next."""
        if spawned := _SPAWNED.fullmatch(message):
            self._spawned[spawned["name"]] = when
        elif running := _RUNNING.fullmatch(message):
            self._failed_starts[running["name"]] = 0
        elif (exited := _EXITED.fullmatch(message)) and exited["name"] in self._policies:
            return self._exit(exited["name"], exited["how"], exited["expected"] == "expected", when)
        return message

    def _exit(self, name: str, how: str, expected: bool, when: datetime) -> str:
        """The restart supervisord makes of this exit, if any."""
        policy = self._policies[name]
        started = self._spawned.get(name, when)
        if (when - started).total_seconds() < policy.startsecs:  # a failed start: back-off
            tries = self._failed_starts[name] = self._failed_starts.get(name, 0) + 1
            said = f"{name} exited ({how}) within {policy.startsecs} s of starting"
            if tries > policy.startretries:
                return f"{said}, {tries} times in a row: not restarted (`{self._ctl} start {GROUP}:{name}`)"
            return f"{said}, restart in {tries} s (failed start {tries} of {policy.startretries})"
        self._failed_starts[name] = 0
        if policy.autorestart == "unexpected" and expected:
            return f"{name} ended ({how}), not restarted"
        return f"{name} exited ({how}), restart in {RESTART_TICK_S} s"


class LogFollower:
    """The lines appended to one log file, across supervisord's rotations of it (like ``tail -F``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO | None = None
        self._rest = b""

    def lines(self, final: bool = False) -> list[str]:
        """The complete lines written since the last call (with ``final``, any partial one too)."""
        found: list[str] = []
        while True:
            if self._file is None:
                try:
                    self._file = self.path.open("rb")
                except FileNotFoundError:
                    break  # not written yet, or renamed and not yet made anew
            found += self._split(self._file.read())
            if not self._rotated(self._file):
                break
            found += self._split(self._file.read())  # what it wrote before renaming it
            self._file.close()  # go on in the new file
            self._file = None
        if final and self._rest:
            found.append(self._rest.decode("utf-8", "replace"))
            self._rest = b""
        return found

    def close(self) -> None:
        """Close the file, if open."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _split(self, data: bytes) -> list[str]:
        """Complete lines of what was read, keeping a partial last line for next time."""
        *complete, self._rest = (self._rest + data).split(b"\n")
        return [line.decode("utf-8", "replace").rstrip("\r") for line in complete]

    def _rotated(self, file: BinaryIO) -> bool:
        """Whether the path now names another file than the one open (supervisord renamed it)."""
        try:
            return os.stat(self.path).st_ino != os.fstat(file.fileno()).st_ino
        except FileNotFoundError:
            return True
