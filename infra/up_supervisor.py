"""supervisord for ``make up``: started on a config written from infra.services, its lines shown, stopped.

Why supervisord, and the restart policy: :mod:`infra.supervision`. Its own lines come on its stdout
(told by :class:`~infra.supervision_log.Narrator`); each program writes to its log file in
``<layout>/logs/``, whose lines are shown as they come, under the program's name.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from infra.supervision import GROUP, SERVICE_POLICY, Layout, Program, render_config
from infra.supervision_log import LogFollower, Narrator
from infra.up_output import LogLinePrinter

SUPERVISOR = "supervisor"  # the name supervisord's own lines are shown under
# supervisord SIGKILLs a program still running stopwaitsecs after its SIGTERM; then a tick or two
STOP_TIMEOUT_S = SERVICE_POLICY.stopwaitsecs + 10
FOLLOW_POLL_S = 0.1


def shown(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it: what a person would type."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Supervisord:
    """supervisord running ``programs``, the lines of both shown by ``printer``."""

    def __init__(
        self,
        programs: Sequence[Program],
        layout: Layout,
        printer: LogLinePrinter,
        python: str = sys.executable,
        directory: Path | None = None,
    ) -> None:
        self.programs = tuple(programs)
        self.layout = layout
        self._printer = printer
        self._python = python
        self._directory = directory or Path.cwd()
        self._proc: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        self._ended = threading.Event()  # supervisord has exited: read the log files one last time

    @property
    def ctl(self) -> str:
        """The supervisorctl command line for this run (``status``, ``restart shopstream:orders``...)."""
        return f"{shown(Path(self._python).with_name('supervisorctl'))} -c {shown(self.layout.config)}"

    def start(self, env: Mapping[str, str]) -> None:
        """Write the config, empty the log folder, start supervisord with ``env`` (its programs' too)."""
        shutil.rmtree(self.layout.logs, ignore_errors=True)
        self.layout.logs.mkdir(parents=True)
        text = render_config(
            self.programs, self.layout, self._directory, secrets.token_urlsafe(18), os.getuid()
        )
        self.layout.config.unlink(missing_ok=True)
        fd = os.open(self.layout.config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as config:
            config.write(text)
        self._proc = subprocess.Popen(  # noqa: S603 - this interpreter, a config written just above
            [self._python, "-m", "supervisor.supervisord", "-c", str(self.layout.config)],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches infra.up alone, which stops it in order
        )
        self._threads = [
            threading.Thread(target=self._tell, args=(self._proc.stdout,), name="supervisord-lines"),
            threading.Thread(target=self._follow, name="service-logs"),
        ]
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    def running(self) -> bool:
        """Whether supervisord still runs."""
        return self._proc is not None and self._proc.poll() is None

    def pid(self, name: str) -> int:
        """The pid of program ``name`` now (0 when it does not run), as supervisorctl says."""
        said = subprocess.run(  # noqa: S603 - this interpreter, our config
            [self._python, "-m", "supervisor.supervisorctl", "-c", str(self.layout.config)]
            + ["pid", f"{GROUP}:{name}"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        return int(said.stdout.strip()) if said.stdout.strip().isdigit() else 0

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM to supervisord, which stops every program together; its exit code once it ended.

        If it is still there after ``timeout_s``, it is killed (its programs, each in a process
        group of its own, would then be left: the line says so).
        """
        if self._proc is None:
            return 0
        if self._proc.poll() is None:
            self._proc.terminate()
        try:
            code = self._proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            code = self._proc.wait()
            self._printer.line(SUPERVISOR, f"did not stop in {timeout_s:g} s: killed; see `ps -ef`")
        self._ended.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.layout.config.unlink(missing_ok=True)  # it holds this run's password
        return code

    def _tell(self, stdout: IO[bytes]) -> None:
        """Show supervisord's lines, each exit with the restart that follows (until it exits)."""
        narrator = Narrator(self.programs, self.ctl)
        with stdout:  # the pipe ends when supervisord does; closed here, not left to the collector
            for raw in stdout:
                told = narrator.tell(raw.decode("utf-8", "replace"))
                self._printer.line(SUPERVISOR, told.text, told.time)

    def _follow(self) -> None:
        """Show each program's new log lines under its name, until supervisord has ended."""
        followers = {p.name: LogFollower(self.layout.log(p.name)) for p in self.programs}
        while True:
            final = self._ended.is_set()
            shown_any = False
            for name, follower in followers.items():
                for text in follower.lines(final=final):
                    self._printer.line(name, text)
                    shown_any = True
            if final:
                break
            if not shown_any:
                self._ended.wait(FOLLOW_POLL_S)
        for follower in followers.values():
            follower.close()
