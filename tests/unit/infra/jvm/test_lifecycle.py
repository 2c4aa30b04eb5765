"""Launch, find, resume and stop a detached process the way the local tools treat their JVMs.

The "JVM" is a sleeping Python process marked by a unique argument: real pids, real signals and
a real /proc, no Java needed.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.jvm import lifecycle, procfs
from infra.jvm.instance import JvmInstance, find_running, live_pid
from schemas.exceptions import ShopStreamError

SLEEPER = "import time; print('ready', flush=True); time.sleep(120)"
DEAF_SLEEPER = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
    "time.sleep(120)"
)


class ToolError(ShopStreamError):
    """The error type the instance under test hands over."""


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[JvmInstance]:
    """An instance known by a mark no other process has; whatever still runs is killed at the end."""
    mark = f"--jvm-test-{uuid.uuid4().hex}"
    made = JvmInstance(
        "sleeper", tmp_path / "sleeper.pid", (mark,), tmp_path, tmp_path / "out.log", ToolError
    )
    yield made
    while (pid := find_running(made.marks)) is not None:
        procfs.send_signal(pid, signal.SIGKILL)
        procfs.wait_exit(pid, 10.0)


def launch(instance: JvmInstance, code: str = SLEEPER) -> int:
    """Launch ``code`` as the instance and wait until it runs (it prints "ready")."""
    pid = lifecycle.launch(instance, [sys.executable, "-c", code, *instance.marks], "a test")
    while "ready" not in instance.output.read_text():
        time.sleep(0.01)
    return pid


def test_a_launched_process_is_recorded_found_and_stopped(instance: JvmInstance) -> None:
    pid = launch(instance)
    assert instance.pid_file.read_text() == f"{pid}\n"
    assert (live_pid(instance), procfs.state_name(pid)) == (pid, "running")
    banner = instance.output.read_text().splitlines()[1]
    assert banner.startswith(lifecycle.BANNER) and banner.endswith(" starting sleeper (a test)")

    lifecycle.stop(instance, timeout=10.0)
    assert (procfs.process_state(pid), instance.pid_file.exists(), live_pid(instance)) == (None, False, None)
    assert procfs.state_name(None) == "down"


def test_a_suspended_process_is_resumed(instance: JvmInstance) -> None:
    pid = launch(instance)
    procfs.send_signal(pid, signal.SIGSTOP)
    procfs.wait_suspended(pid, True, 10.0, ToolError)
    assert procfs.state_name(pid) == "suspended"
    lifecycle.resume_if_suspended(instance, pid)
    procfs.wait_suspended(pid, False, 10.0, ToolError)
    assert procfs.state_name(pid) == "running"


def test_a_process_without_its_pid_file_is_adopted(instance: JvmInstance) -> None:
    pid = launch(instance)
    instance.pid_file.unlink()
    assert live_pid(instance) == pid
    assert instance.pid_file.read_text() == f"{pid}\n"


@pytest.mark.parametrize("recorded", ["not a pid\n", "999999999\n", "own pid"])
def test_a_stale_pid_file_is_removed(instance: JvmInstance, recorded: str) -> None:
    # "own pid": a live process that runs something else (this test), as after pid reuse
    instance.pid_file.write_text(
        f"{Path('/proc/self').resolve().name}\n" if recorded == "own pid" else recorded
    )
    assert live_pid(instance) is None
    assert not instance.pid_file.exists()


def test_a_process_deaf_to_sigterm_is_killed(instance: JvmInstance, caplog: pytest.LogCaptureFixture) -> None:
    pid = launch(instance, DEAF_SLEEPER)
    with caplog.at_level(logging.INFO, logger=lifecycle.__name__):
        lifecycle.stop(instance, timeout=0.5)
    assert (procfs.process_state(pid), instance.pid_file.exists()) == (None, False)
    assert caplog.messages == [
        f"sleeper (pid {pid}) ignored SIGTERM for 0s; sending SIGKILL",
        f"stopped sleeper (pid {pid})",
    ]


def test_a_command_that_cannot_start_raises_the_tool_s_error(instance: JvmInstance, tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="^sleeper: could not start java: .*No such file"):
        lifecycle.launch(instance, [str(tmp_path / "no-java")], "a test")
    assert not instance.pid_file.exists()


def test_an_instance_without_marks_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="would match every process"):
        JvmInstance("any", tmp_path / "x.pid", (), tmp_path, tmp_path / "x.log", ToolError)
