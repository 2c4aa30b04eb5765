"""Keeps the materializer running: a failure is logged, makes query-api not ready, and is retried.

Without it a materializer that failed after start-up would leave the read models frozen while
``/readyz`` still answered 200.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


def backoff_s(failures_in_a_row: int, first_s: float, cap_s: float) -> float:
    """The wait before the next run: ``first_s``, doubled for each failure in a row, at most ``cap_s``."""
    return min(cap_s, first_s * 2.0 ** (failures_in_a_row - 1))


class Supervisor:
    """Runs ``run`` in a background task and runs it again, after a back-off, whenever it fails.

    ``run`` is meant to go on until cancelled, so returning counts as a failure too. The back-off
    starts over after a run that lasted at least ``cap_s``.
    """

    def __init__(
        self,
        name: str,
        run: Callable[[], Awaitable[None]],
        *,
        first_s: float = 1.0,
        cap_s: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._run = run
        self._first_s = first_s
        self._cap_s = cap_s
        self._sleep = sleep
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self.restarts = 0
        self.failure: str | None = None  # why ``run`` is not running now, while it waits to restart

    def start(self) -> None:
        """Begin running in the background."""
        self._task = asyncio.create_task(self._keep_running(), name=self.name)

    async def stop(self) -> None:
        """Cancel the run (or the wait before the next one)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _keep_running(self) -> None:
        """Run; after each failure log it, say why in ``failure``, wait, and run again."""
        failures_in_a_row = 0
        while True:
            started = self._clock()
            try:
                await self._run()
                error: Exception = RuntimeError("stopped without an error")
            except Exception as exc:  # noqa: BLE001 - whatever it was, the read models stop changing
                error = exc
            ran_long = self._clock() - started >= self._cap_s
            failures_in_a_row = 1 if ran_long else failures_in_a_row + 1
            delay = backoff_s(failures_in_a_row, self._first_s, self._cap_s)
            self.failure = f"{self.name} failed: {type(error).__name__}: {error}; restarting"
            log.error(
                "%s failed; restarting in %g s",
                self.name,
                delay,
                exc_info=error,
                extra={"error": repr(error), "restart_in_s": delay, "restarts": self.restarts},
            )
            await self._sleep(delay)
            self.failure = None
            self.restarts += 1
