"""The start-up wait: ready, exited or timed out, and which lines of the output belong to this start."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.jvm.layout import env_optional_port, env_port
from infra.jvm.readiness import latest_run, poll_until_ready
from schemas.exceptions import ShopStreamError


class ToolError(ShopStreamError):
    """The error type the tool under test hands over."""


def test_only_the_lines_after_the_last_start_banner_are_this_start_s(tmp_path: Path) -> None:
    output = tmp_path / "out.log"
    output.write_text("\n=== 10:00 starting a (x)\nfirst run\n\n=== 11:00 starting a (x)\nsecond\nrun\n")
    assert latest_run(output) == ["second", "run"]
    assert latest_run(tmp_path / "never-written.log") == []


def test_polling_stops_at_the_first_ready_answer() -> None:
    answers = iter([False, False, True])
    checks: list[str] = []
    poll_until_ready(lambda _: next(answers), lambda: checks.append("alive"), 60.0, lambda: ToolError("late"))
    assert checks == ["alive"] * 3


def test_an_exit_during_start_up_is_raised_before_any_probe() -> None:
    def exited() -> None:
        raise ToolError("it exited")

    probes: list[float] = []

    def ready(deadline: float) -> bool:
        probes.append(deadline)
        return True

    with pytest.raises(ToolError, match="^it exited$"):
        poll_until_ready(ready, exited, 60.0, lambda: ToolError("late"))
    assert probes == []


def test_no_answer_in_time_raises_the_tool_s_timeout_error() -> None:
    with pytest.raises(ToolError, match="^not ready$"):
        poll_until_ready(lambda _: False, lambda: None, 0.0, lambda: ToolError("not ready"))


def test_ports_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_PORT", raising=False)
    assert (env_port("TEST_PORT", 9092, ToolError), env_optional_port("TEST_PORT", ToolError)) == (9092, None)
    monkeypatch.setenv("TEST_PORT", " 30000 ")
    assert env_port("TEST_PORT", 9092, ToolError) == 30000
    monkeypatch.setenv("TEST_PORT", "65535")
    with pytest.raises(ToolError, match="^TEST_PORT=65535 is outside 1024..65000$"):
        env_port("TEST_PORT", 9092, ToolError, highest=65000)
    monkeypatch.setenv("TEST_PORT", "kafka")
    with pytest.raises(ToolError, match="^TEST_PORT='kafka' is not a port number$"):
        env_optional_port("TEST_PORT", ToolError)
