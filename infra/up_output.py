"""What ``make up`` prints: a line per step as it completes, then a table of URLs.

The lines are made by pure functions (tested exactly); :class:`StepPrinter` only writes them, and
:class:`LogLinePrinter` writes the services' lines and supervisord's.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from infra.services import Service

# consumers/query_api/routes/dashboard.py serves the dashboard page at the root of query-api
DASHBOARD = ("query-api", "/")
DOCS_PATH = "/docs"
METRICS_PATH = "/metrics"
PENDING = "..."
# a line a service logged with LOG_FORMAT=console: it starts with its time (HH:MM:SS.mmm)
_OWN_TIME = re.compile(r"\d\d:\d\d:\d\d\.\d{3} ")


def format_step(name: str, seconds: float, detail: str = "", width: int = 0) -> str:
    """One completed step: its name padded to ``width``, the seconds it took, then what it gave."""
    line = f"{name:<{width}}  {seconds:5.1f} s"
    return f"{line}  {detail}" if detail else line


def format_log_line(name: str, text: str, width: int, time: str) -> str:
    """A line a process wrote: a console log line as it is, any other after ``time name |``.

    A service logging with ``LOG_FORMAT=console`` names itself and its time on every line, so the
    prefix would say both twice; its other lines (tracebacks, the simulator's, supervisord's) need it.
    """
    return text if _OWN_TIME.match(text) else f"{time} {name:<{width}} | {text}"


def format_table(rows: Sequence[tuple[str, str]]) -> str:
    """``(name, url)`` rows as lines, the URLs in one column two spaces after the longest name."""
    width = max((len(name) for name, _ in rows), default=0)
    return "\n".join(f"{name:<{width}}  {url}" for name, url in rows)


def url_rows(
    services: Sequence[Service], env: Mapping[str, str], kafka: str, registry: str
) -> list[tuple[str, str]]:
    """The dashboard, each HTTP service's API docs, each processor's metrics, Kafka and the registry."""
    home, page = DASHBOARD
    rows = [("dashboard", s.base_url(env) + page) for s in services if s.name == home]
    rows += [(s.name, s.base_url(env) + DOCS_PATH) for s in services if s.http_api]
    rows += [(s.name, s.base_url(env) + METRICS_PATH) for s in services if not s.http_api]
    return [*rows, ("kafka", kafka), ("registry", registry)]


@dataclass
class Step:
    """A step under way; the block running it sets ``detail`` (say the URL it started)."""

    name: str
    detail: str = ""


class StepPrinter:
    """Writes step lines to a file descriptor, from any thread.

    It writes with ``os.write`` under a lock of its own, so that the lines of the readiness thread,
    of supervisord and of the services' log files come out whole. On a terminal (``live``), a
    sequential step shows ``name ...`` until it completes.
    """

    def __init__(self, fd: int, width: int, live: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self._fd = fd
        self.width = width
        self._live = live
        self._clock = clock
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        """Write ``text`` whole, before any other thread's."""
        data = text.encode()
        with self._lock:
            while data:
                data = data[os.write(self._fd, data) :]

    def done(self, name: str, seconds: float, detail: str = "") -> None:
        """Print one completed step."""
        self.write(format_step(name, seconds, detail, self.width) + "\n")

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        """Time the block and print the step when it ends; on a terminal, show it pending meanwhile."""
        if self._live:
            self.write(f"{name:<{self.width}}  {PENDING}")
        started = self._clock()
        current = Step(name)
        try:
            yield current
        except BaseException:
            if self._live:
                self.write("\n")  # the traceback starts on a line of its own
            raise
        self.write(
            ("\r" if self._live else "")
            + format_step(name, self._clock() - started, current.detail, self.width)
            + "\n"
        )


class LogLinePrinter:
    """Writes each line a process wrote (see :func:`format_log_line`) with ``write``, whole."""

    def __init__(
        self,
        write: Callable[[str], None],
        width: int,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self._write = write
        self.width = width
        self._clock = clock

    def line(self, name: str, text: str, time: str | None = None) -> None:
        """Print ``text`` from ``name``, prefixed with ``time`` (``HH:MM:SS``, default now) if needed."""
        stamp = time or self._clock().strftime("%H:%M:%S")
        self._write(format_log_line(name, text.rstrip("\r\n"), self.width, stamp) + "\n")
