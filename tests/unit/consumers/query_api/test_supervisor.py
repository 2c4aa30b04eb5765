"""The materializer's supervisor: a failed run is logged, reported, and run again after a capped back-off.

Sleeping and the clock are injected, so nothing here waits for real time.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from consumers.query_api.supervisor import Supervisor, backoff_s


class Sleeps:
    """A fake ``asyncio.sleep``: records each delay and returns at once, then hangs from the ``limit``-th."""

    def __init__(self, limit: int) -> None:
        self.delays: list[float] = []
        self.limit = limit
        self.reached = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if len(self.delays) >= self.limit:
            self.reached.set()
            await asyncio.Event().wait()


async def failing() -> None:
    raise ValueError("projection bug")


async def supervise_until(supervisor: Supervisor, sleeps: Sleeps) -> None:
    supervisor.start()
    await asyncio.wait_for(sleeps.reached.wait(), timeout=10)
    await supervisor.stop()


def test_backoff_doubles_from_one_second_up_to_thirty() -> None:
    assert [backoff_s(n, 1.0, 30.0) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]


async def test_failed_run_is_logged_reported_and_run_again(caplog: pytest.LogCaptureFixture) -> None:
    sleeps = Sleeps(limit=1)
    supervisor = Supervisor("materializer", failing, sleep=sleeps)
    with caplog.at_level(logging.ERROR, logger="consumers.query_api.supervisor"):
        supervisor.start()
        await asyncio.wait_for(sleeps.reached.wait(), timeout=10)
    assert supervisor.failure == "materializer failed: ValueError: projection bug; restarting"
    assert supervisor.restarts == 0
    [record] = caplog.records
    assert (record.levelno, record.getMessage()) == (logging.ERROR, "materializer failed; restarting in 1 s")
    assert record.exc_info is not None
    assert (record.exc_info[0], str(record.exc_info[1])) == (ValueError, "projection bug")
    await supervisor.stop()


async def test_restarts_are_counted_and_back_off_is_capped() -> None:
    sleeps = Sleeps(limit=8)
    supervisor = Supervisor("materializer", failing, sleep=sleeps)
    await supervise_until(supervisor, sleeps)
    assert sleeps.delays == [1, 2, 4, 8, 16, 30, 30, 30]
    assert supervisor.restarts == 7


async def test_back_off_starts_over_after_a_long_run() -> None:
    now = [0.0]
    runs = 0

    async def fails_after_a_long_run_the_fourth_time() -> None:
        nonlocal runs
        runs += 1
        if runs == 4:
            now[0] += 30.0
        raise ValueError("projection bug")

    sleeps = Sleeps(limit=5)
    supervisor = Supervisor(
        "materializer", fails_after_a_long_run_the_fourth_time, sleep=sleeps, clock=lambda: now[0]
    )
    await supervise_until(supervisor, sleeps)
    assert sleeps.delays == [1, 2, 4, 1, 2]


async def test_a_run_that_returns_is_a_failure_too() -> None:
    async def returns() -> None:
        return None

    sleeps = Sleeps(limit=1)
    supervisor = Supervisor("materializer", returns, sleep=sleeps)
    supervisor.start()
    await asyncio.wait_for(sleeps.reached.wait(), timeout=10)
    assert supervisor.failure == "materializer failed: RuntimeError: stopped without an error; restarting"
    await supervisor.stop()


async def test_stop_cancels_the_running_run_without_counting_a_failure() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def runs_until_cancelled() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    supervisor = Supervisor("materializer", runs_until_cancelled, sleep=Sleeps(limit=1))
    supervisor.start()
    await asyncio.wait_for(started.wait(), timeout=10)
    await supervisor.stop()
    assert (cancelled.is_set(), supervisor.failure, supervisor.restarts) == (True, None, 0)
