"""supervisord for real, over tiny commands: one killed comes back, the others go on, stop ends all.

No service and no port: the programs are ``python -c`` one-liners; supervisord's control socket is a
UNIX socket in the test's folder.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from infra.supervision import SIMULATOR_POLICY, Layout, Program, RestartPolicy
from infra.up_output import LogLinePrinter
from infra.up_supervisor import Supervisord
from tests.helpers.processes import alive

pytestmark = pytest.mark.timeout(90)

T = TypeVar("T")
QUICK = RestartPolicy(startsecs=1, startretries=1, stopwaitsecs=5)
# supervisord tells a failed start by the time from spawn to reaping, which a busy machine stretches
SLOW_START = RestartPolicy(startsecs=5, startretries=1, stopwaitsecs=5)


def one_liner(name: str, code: str, policy: RestartPolicy = QUICK) -> Program:
    """A program running ``code`` with this interpreter."""
    return Program(name, (sys.executable, "-c", code), policy)


class Lines:
    """What the supervisor printed, kept from any thread."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            self._lines.append(text.rstrip("\n"))

    def __str__(self) -> str:
        with self._lock:
            return "\n".join(self._lines)

    def said(self, name: str) -> list[str]:
        """The texts of the lines printed under ``name`` (each after ``time name |``)."""
        with self._lock:
            return [line.split(" | ", 1)[1] for line in self._lines if line[9:].startswith(f"{name} ")]


def until(found: Callable[[], T | None], what: str, lines: Lines, timeout_s: float = 15) -> T:
    """``found()`` once it is truthy; fails the test after ``timeout_s``, with what was printed."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := found():
            return value
        time.sleep(0.1)
    pytest.fail(f"not within {timeout_s} s: {what}; printed:\n{lines}")


def test_killed_program_comes_back_others_keep_their_pid_stop_ends_all(tmp_path: Path) -> None:
    sleeps = "import time; print('up', flush=True); time.sleep(300)"
    lines = Lines()
    supervisor = Supervisord(
        [
            one_liner("one", sleeps),
            one_liner("two", sleeps),
            one_liner("crash", "import sys; sys.exit(3)", SLOW_START),
            one_liner("done", "import time; time.sleep(3)", SIMULATOR_POLICY),
        ],
        Layout(tmp_path / "up"),
        LogLinePrinter(lines.write, width=10),
    )
    supervisor.start(dict(os.environ))
    try:
        running = {
            f"success: {name} entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)"
            for name in ("one", "two")
        }
        until(lambda: running <= set(lines.said("supervisor")), "one and two RUNNING", lines)
        one, two = supervisor.pid("one"), supervisor.pid("two")
        assert alive(one) and alive(two)
        os.kill(one, signal.SIGKILL)
        again = until(
            lambda: supervisor.pid("one") not in (0, one) and supervisor.pid("one"), "one again", lines
        )
        assert alive(again)
        assert supervisor.pid("two") == two
        gave_up = "gave up: crash entered FATAL state, too many start retries too quickly"
        until(lambda: gave_up in lines.said("supervisor"), "crash given up", lines)
        until(
            lambda: "done ended (exit status 0), not restarted" in lines.said("supervisor"),
            "done ended",
            lines,
        )
        said = lines.said("supervisor")
        assert "one exited (terminated by SIGKILL), restart in 1 s" in said
        assert [line for line in said if line.startswith("crash exited")] == [
            "crash exited (exit status 3) within 5 s of starting, restart in 1 s (failed start 1 of 1)",
            "crash exited (exit status 3) within 5 s of starting, 2 times in a row: not restarted "
            f"(`{supervisor.ctl} start shopstream:crash`)",
        ]
        assert (supervisor.pid("done"), supervisor.pid("crash"), supervisor.pid("two")) == (0, 0, two)
        assert lines.said("one") == ["up", "up"]
        assert lines.said("two") == ["up"]
    finally:
        code = supervisor.stop(timeout_s=30)
    assert code == 0
    assert not supervisor.running()
    until(lambda: not alive(again) and not alive(two), "both stopped", lines, timeout_s=5)
    assert {"stopped: one (terminated by SIGTERM)", "stopped: two (terminated by SIGTERM)"} <= set(
        lines.said("supervisor")
    )
    assert not supervisor.layout.config.exists()  # it held this run's supervisorctl password
