"""supervisord's lines told as ``make up`` shows them, and the services' log files followed."""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path

import pytest

from infra.supervision import SIMULATOR_POLICY, Program, RestartPolicy
from infra.supervision_log import LogFollower, Narrator, Told

CTL = ".venv/bin/supervisorctl -c .local/up/supervisord.conf"
PROGRAMS = [
    Program("orders", ("python",), RestartPolicy(startsecs=10, startretries=2)),
    Program("simulator", ("python",), SIMULATOR_POLICY),
]


def told(*lines: str) -> list[Told]:
    """What one Narrator tells of ``lines``, supervisord's, in order."""
    narrator = Narrator(PROGRAMS, CTL)
    return [narrator.tell(line + "\n") for line in lines]


def test_other_lines_keep_their_message_and_supervisords_time() -> None:
    assert told(
        "2026-11-30 09:05:31,278 INFO supervisord started with pid 6553",
        "2026-11-30 09:05:32,281 INFO spawned: 'orders' with pid 6574",
        "2026-11-30 09:05:42,309 INFO success: orders entered RUNNING state, process has stayed up for > "
        "than 10 seconds (startsecs)",
        "Error: .ini file does not include supervisord section",
    ) == [
        Told("09:05:31", "supervisord started with pid 6553"),
        Told("09:05:32", "spawned: 'orders' with pid 6574"),
        Told(
            "09:05:42",
            "success: orders entered RUNNING state, process has stayed up for > than 10 seconds (startsecs)",
        ),
        Told(None, "Error: .ini file does not include supervisord section"),
    ]


def test_a_running_service_killed_is_restarted_at_the_next_tick() -> None:
    assert told(
        "2026-11-30 09:05:32,281 INFO spawned: 'orders' with pid 6574",
        "2026-11-30 09:06:01,579 WARN exited: orders (terminated by SIGKILL; not expected)",
    )[-1] == Told("09:06:01", "orders exited (terminated by SIGKILL), restart in 1 s")


def test_a_service_that_exits_0_after_running_is_restarted_too() -> None:
    assert told(
        "2026-11-30 09:05:32,281 INFO spawned: 'orders' with pid 6574",
        "2026-11-30 09:06:01,579 INFO exited: orders (exit status 0; expected)",
    )[-1] == Told("09:06:01", "orders exited (exit status 0), restart in 1 s")


def test_failed_starts_back_off_one_second_more_each_then_give_up() -> None:
    lines = told(
        "2026-11-30 09:05:32,281 INFO spawned: 'orders' with pid 1",
        "2026-11-30 09:05:34,300 WARN exited: orders (exit status 1; not expected)",
        "2026-11-30 09:05:35,310 INFO spawned: 'orders' with pid 2",
        "2026-11-30 09:05:37,325 WARN exited: orders (exit status 1; not expected)",
        "2026-11-30 09:05:39,330 INFO spawned: 'orders' with pid 3",
        "2026-11-30 09:05:39,611 WARN exited: orders (terminated by SIGSEGV (core dumped); not expected)",
    )
    assert [t.text for t in lines[1::2]] == [
        "orders exited (exit status 1) within 10 s of starting, restart in 1 s (failed start 1 of 2)",
        "orders exited (exit status 1) within 10 s of starting, restart in 2 s (failed start 2 of 2)",
        "orders exited (terminated by SIGSEGV (core dumped)) within 10 s of starting, 3 times in a row: "
        f"not restarted (`{CTL} start shopstream:orders`)",
    ]


def test_running_for_startsecs_resets_the_back_off() -> None:
    lines = told(
        "2026-11-30 09:05:32,281 INFO spawned: 'orders' with pid 1",
        "2026-11-30 09:05:34,300 WARN exited: orders (exit status 1; not expected)",
        "2026-11-30 09:05:35,310 INFO spawned: 'orders' with pid 2",
        "2026-11-30 09:05:45,400 INFO success: orders entered RUNNING state, process has stayed up for > "
        "than 10 seconds (startsecs)",
        "2026-11-30 09:07:00,000 WARN exited: orders (exit status 1; not expected)",
        "2026-11-30 09:07:01,000 INFO spawned: 'orders' with pid 3",
        "2026-11-30 09:07:02,000 WARN exited: orders (exit status 1; not expected)",
    )
    assert [lines[4].text, lines[6].text] == [
        "orders exited (exit status 1), restart in 1 s",
        "orders exited (exit status 1) within 10 s of starting, restart in 1 s (failed start 1 of 2)",
    ]


def test_simulator_ending_by_itself_is_not_restarted_but_a_crash_is() -> None:
    lines = told(
        "2026-11-30 09:05:32,281 INFO spawned: 'simulator' with pid 1",
        "2026-11-30 10:05:32,000 INFO exited: simulator (exit status 0; expected)",
        "2026-11-30 10:06:00,000 INFO spawned: 'simulator' with pid 2",
        "2026-11-30 10:06:09,000 INFO exited: simulator (exit status 2; expected)",
        "2026-11-30 10:07:00,000 INFO spawned: 'simulator' with pid 3",
        "2026-11-30 10:08:00,000 WARN exited: simulator (exit status 1; not expected)",
    )
    assert [t.text for t in lines[1::2]] == [
        "simulator ended (exit status 0), not restarted",
        "simulator ended (exit status 2), not restarted",
        "simulator exited (exit status 1), restart in 1 s",
    ]


def test_exit_of_a_program_not_ours_is_left_as_said() -> None:
    line = "2026-11-30 09:05:34,300 WARN exited: other (exit status 1; not expected)"
    assert told(line) == [Told("09:05:34", "exited: other (exit status 1; not expected)")]


# log files ----------------------------------------------------------------------------------------


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """A service's log file, not written yet."""
    return tmp_path / "orders.log"


def append(log: Path, data: bytes) -> None:
    """Write ``data`` at the end of ``log`` (made if missing), as the service does."""
    with log.open("ab") as out:
        out.write(data)


def test_follower_gives_complete_lines_as_they_come(log: Path) -> None:
    with closing(LogFollower(log)) as follower:
        assert follower.lines() == []  # not written yet
        append(log, b"first\nsecond\r\nthi")
        assert follower.lines() == ["first", "second"]
        append(log, b"rd \xff\n")
        assert follower.lines() == ["third \ufffd"]
        assert follower.lines() == []


def test_follower_reads_the_old_file_to_its_end_then_the_new_one(log: Path) -> None:
    append(log, b"one\n")
    with closing(LogFollower(log)) as follower:
        assert follower.lines() == ["one"]
        append(log, b"two\n")
        os.rename(log, log.with_name("orders.log.1"))  # as supervisord rotates it
        append(log, b"three\n")  # a new file
        assert follower.lines() == ["two", "three"]


def test_follower_gives_a_last_partial_line_at_the_end(log: Path) -> None:
    append(log, b"done\nno newline")
    with closing(LogFollower(log)) as follower:
        assert follower.lines() == ["done"]
        assert follower.lines(final=True) == ["no newline"]
