"""What ``make up`` prints: a line per step as it completes, then a table of URLs.

The lines are made by pure functions (tested exactly); :class:`StepPrinter` only writes them, and
:class:`LogLinePrinter` is honcho's printer minus the second time and name on console log lines.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from honcho.printer import Message, Printer

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

    It writes with ``os.write``, never through ``sys.stdout``: honcho forks its runners while the
    readiness thread may be writing, and no child may inherit ``sys.stdout``'s lock taken. On a
    terminal (``live``), a sequential step shows ``name ...`` until it completes.
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


class LogLinePrinter(Printer):  # type: ignore[misc]  # honcho ships no type information
    """honcho's printer, except for lines that already start with their own time.

    A service logging with ``LOG_FORMAT=console`` names itself and its time on every line, so honcho's
    ``time name |`` prefix would say both twice; its other lines (tracebacks, the simulator, honcho's
    own) keep the prefix.
    """

    def write(self, message: Message) -> None:
        """Print ``message``; a console log line as it is."""
        data = message.data
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
        if message.type == "line" and _OWN_TIME.match(text):
            self.output.write(text.rstrip("\r\n") + "\n")
            self.output.flush()
            return
        super().write(message)
