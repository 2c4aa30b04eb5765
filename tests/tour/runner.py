"""docs/tour.md as a test: its ``console`` blocks are run in order and each output compared with the text.

A ``console`` block holds commands (``$ `` lines; a line ending in ``\\`` goes on) each followed by
the output the reader will see. Outputs match as doctest's ELLIPSIS does, line by line: ``...``
inside a line stands for any text, a line of just ``...`` for any number of lines, and runs of
spaces count as one (column widths vary with names). Blocks of any other language are shown, not run.

The commands run in one bash, one after another, so ``cd``, variables and background jobs carry over
as they do in the reader's terminal. The test runs the tour against a system of its own (its own
ports, topic prefix and state directory): :class:`Substitutions` rewrites the text's local defaults
(``127.0.0.1:8000``, ``.local/up``, ...) into that system's before running and comparing.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DONE = "__TOUR_STEP_DONE__"
FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Step:
    """One command of the tour: where it is (1-based line), what it runs and what it shows."""

    line: int
    command: str
    expected: tuple[str, ...]


def steps(markdown: str) -> list[Step]:
    """The commands of every ``console`` block of ``markdown``, in order, with their outputs."""
    found: list[Step] = []
    language: str | None = None
    command: list[str] = []
    start, expected = 0, list[str]()
    for number, text in enumerate(markdown.splitlines(), 1):
        fence = FENCE.match(text)
        if fence:
            if language == "console" and command:
                found.append(Step(start, "\n".join(command), tuple(expected)))
            language = None if language is not None else fence.group(1)
            command, expected = [], []
        elif language == "console":
            if text.startswith("$ ") or (command and not expected and command[-1].endswith("\\")):
                if text.startswith("$ ") and command:
                    found.append(Step(start, "\n".join(command), tuple(expected)))
                    command, expected = [], []
                start = start if command else number
                command.append(text.removeprefix("$ "))
            else:
                expected.append(text)
    return found


def _line_pattern(expected: str) -> re.Pattern[str]:
    parts = [re.escape(" ".join(part.split())) for part in expected.split("...")]
    return re.compile(".*".join(parts), re.DOTALL)


def matches(expected: Sequence[str], actual: Sequence[str]) -> bool:
    """Whether ``actual`` lines read as ``expected`` (ELLIPSIS, runs of spaces as one)."""
    wanted = [line.strip() for line in expected]
    got = [" ".join(line.split()) for line in actual]

    def match(i: int, j: int) -> bool:
        if i == len(wanted):
            return j == len(got)
        if wanted[i] == "...":
            return any(match(i + 1, k) for k in range(j, len(got) + 1))
        return j < len(got) and _line_pattern(wanted[i]).fullmatch(got[j]) is not None and match(i + 1, j + 1)

    return match(0, 0)


@dataclass(frozen=True)
class Substitutions:
    """The text's local defaults and what they are in the system under test, in the order applied.

    ``in_commands`` applies to commands and outputs; ``in_outputs`` to outputs only (names the
    system derives, such as consumer groups under a topic prefix).
    """

    in_commands: tuple[tuple[str, str], ...]
    in_outputs: tuple[tuple[str, str], ...] = ()

    def command(self, text: str) -> str:
        """``text`` as run against the system under test."""
        for local, ours in self.in_commands:
            text = text.replace(local, ours)
        return text

    def output(self, text: str) -> str:
        """An expected output line as the system under test shows it."""
        for local, ours in (*self.in_commands, *self.in_outputs):
            text = text.replace(local, ours)
        return text


class Shell:
    """One bash for the whole tour; :meth:`run` gives a command's output (stdout and stderr) as lines.

    Background jobs the commands start are ended with the shell (it leads its own process group).
    """

    def __init__(self, cwd: Path, env: Mapping[str, str]) -> None:
        self._bash = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],  # noqa: S607 - bash from PATH, as the reader's terminal
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._text = ""
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="tour-shell", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._bash.stdout is not None
        while chunk := os.read(self._bash.stdout.fileno(), 65536):
            with self._changed:
                self._text += chunk.decode("utf-8", "replace")
                self._changed.notify_all()

    def run(self, command: str, timeout_s: float) -> list[str]:
        """Run ``command`` and return its output lines (trailing blank lines dropped).

        Raises ``TimeoutError`` when it has not finished within ``timeout_s``.
        """
        assert self._bash.stdin is not None
        self._bash.stdin.write(f"{command}\nprintf '\\n{DONE}\\n'\n".encode())
        self._bash.stdin.flush()
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while f"\n{DONE}\n" not in self._text:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no end after {timeout_s:.0f} s; so far:\n{self._text}")
                self._changed.wait(left)
            output, _, self._text = self._text.partition(f"\n{DONE}\n")
        return output.rstrip("\n").splitlines() if output.strip() else []

    def close(self) -> None:
        """End the shell and every job it started."""
        try:
            os.killpg(self._bash.pid, signal.SIGTERM)
            self._bash.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self._bash.pid, signal.SIGKILL)
            self._bash.wait()
        self._reader.join(10)  # it ends at the end of the output: every writer is gone
        for pipe in (self._bash.stdin, self._bash.stdout):
            if pipe is not None:
                pipe.close()
