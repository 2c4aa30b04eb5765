"""Drives ingest-api at a target rate for a fixed time, with a live progress display."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
from rich.console import Console
from rich.live import Live
from rich.table import Table

from producers.simulator.mix import Call, Mix
from schemas.exceptions import ShopStreamError


@dataclass
class Tally:
    """What was sent and how ingest-api answered."""

    started: float = field(default_factory=time.monotonic)
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    kinds: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        """One line of counts, for logs (no terminal to redraw)."""
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return (
            f"sent={self.sent} accepted={self.accepted} rejected={self.rejected} failed={self.failed}"
            f" sent/s={self.sent / elapsed:.1f} accepted/s={self.accepted / elapsed:.1f}"
        )

    def table(self, rate: float, duration: float) -> Table:
        """The live view: counts, rates and progress."""
        elapsed = max(time.monotonic() - self.started, 1e-6)
        view = Table(title=f"simulator: {rate:g}/s for {duration:g}s  ({min(elapsed / duration, 1):.0%})")
        for column in (
            "sent",
            "accepted",
            "rejected (4xx/5xx)",
            "failed (no answer)",
            "sent/s",
            "accepted/s",
        ):
            view.add_column(column, justify="right")
        view.add_row(
            str(self.sent),
            str(self.accepted),
            str(self.rejected),
            str(self.failed),
            f"{self.sent / elapsed:.1f}",
            f"{self.accepted / elapsed:.1f}",
        )
        return view


async def send(client: httpx.AsyncClient, call: Call, tally: Tally) -> int | None:
    """Send one call and count its outcome; its status, None when no answer came."""
    tally.sent += 1
    tally.kinds[call.kind] += 1
    try:
        response = await client.request(call.method, call.path, json=call.body)
    except httpx.HTTPError:
        tally.failed += 1
        return None
    if response.is_success:
        tally.accepted += 1
    else:
        tally.rejected += 1
    return response.status_code


async def wait_ready(client: httpx.AsyncClient, timeout_s: float = 120) -> None:
    """Wait until ingest-api answers /readyz with 200 (it may still be starting)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)
    raise TimeoutError(f"ingest-api at {client.base_url} not ready in {timeout_s:g}s")


class KeyRefused(ShopStreamError):
    """ingest-api requires an API key the simulator does not have, or refuses the one it sent."""


async def run(
    ingest_url: str,
    rate: float,
    duration: float,
    mix: Mix,
    console: Console,
    *,
    api_key: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Tally:
    """Seed reference data, then send the mix at ``rate`` calls/s until ``duration`` has passed.

    ``api_key`` goes in ``X-API-Key`` on every call; a 401 or 403 to the first call raises
    :class:`KeyRefused` rather than sending a whole run to a locked door.
    """
    tally = Tally()
    limits = httpx.Limits(max_connections=64)
    headers = {"X-API-Key": api_key} if api_key else {}
    async with httpx.AsyncClient(
        base_url=ingest_url, timeout=15, limits=limits, headers=headers, transport=transport
    ) as client:
        await wait_ready(client)
        await seed(client, mix, tally, api_key)
        await drive(client, mix, tally, rate, duration, console)
    return tally


async def seed(client: httpx.AsyncClient, mix: Mix, tally: Tally, api_key: str | None) -> None:
    """Send the mix's reference data; :class:`KeyRefused` if the first call is answered 401 or 403."""
    for i, call in enumerate(mix.seed_calls()):
        status = await send(client, call, tally)
        if i == 0 and status in (401, 403):
            raise KeyRefused(
                f"ingest-api answered {status} to the simulator: "
                + ("its API key was refused" if api_key else "it requires an API key (SIMULATOR_API_KEY)")
            )


async def drive(
    client: httpx.AsyncClient, mix: Mix, tally: Tally, rate: float, duration: float, console: Console
) -> None:
    """Start the mix's calls at ``rate`` per second for ``duration`` seconds, then wait for their answers.

    On a terminal the counts are redrawn live; elsewhere a line of them is printed every 10 s.
    """
    tasks: set[asyncio.Task[int | None]] = set()
    start = time.monotonic()
    live_view = console.is_terminal
    last_line = start
    with Live(
        tally.table(rate, duration), console=console, refresh_per_second=4, auto_refresh=live_view
    ) as live:
        n = 0
        while (now := time.monotonic()) - start < duration:
            due = int((now - start) * rate) + 1
            while n < due:
                task = asyncio.create_task(send(client, mix.next_call(), tally))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
            if live_view:
                live.update(tally.table(rate, duration))
            elif now - last_line >= 10:
                console.print(tally.line())
                last_line = now
            await asyncio.sleep(min(0.05, 1 / rate))
        await asyncio.gather(*tasks)
        live.update(tally.table(rate, duration))
