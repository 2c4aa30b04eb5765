"""query-api's ``/readyz`` while its materializer fails and is restarted, with Kafka replaced.

The materializer's run is faked because what is under test is the lifecycle around it (the
lifespan, the supervisor, readiness); the integration tests run the real one against a broker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from consumers.query_api.main import create_app
from consumers.query_api.settings import QuerySettings
from consumers.query_api.supervisor import Supervisor


class FakeMaterializer:
    """Its first run reads without catching up until told to fail; the next catches up at once."""

    def __init__(self) -> None:
        self.runs = 0
        self.caught_up = False
        self.reading = asyncio.Event()
        self.fail = asyncio.Event()

    async def run(self) -> None:
        self.runs += 1
        self.caught_up = False
        self.reading.set()
        if self.runs == 1:
            await self.fail.wait()
            raise ValueError("projection bug")
        self.caught_up = True
        await asyncio.Event().wait()


class FakeRegistry:
    async def reachable(self) -> bool:
        return True

    def close(self) -> None:
        pass


class HeldSleep:
    """A fake ``asyncio.sleep`` that waits until the test lets it go."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.waiting = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.waiting.set()
        await self.release.wait()


@pytest.fixture
def materializer() -> FakeMaterializer:
    return FakeMaterializer()


@pytest.fixture
def sleep() -> HeldSleep:
    return HeldSleep()


@pytest.fixture
async def app(materializer: FakeMaterializer, sleep: HeldSleep) -> AsyncIterator[FastAPI]:
    app = create_app(QuerySettings())
    app.state.materializer = materializer
    app.state.supervisor = Supervisor("materializer", materializer.run, sleep=sleep)
    app.state.serdes = FakeRegistry()
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://query") as c:
        yield c


async def readyz(client: httpx.AsyncClient) -> tuple[int, Any]:
    """``/readyz``'s status code and body."""
    r = await client.get("/readyz")
    return r.status_code, r.json()


def checks(*, running: bool, caught_up: bool) -> dict[str, bool]:
    """``/readyz``'s checks, the registry reachable (FakeRegistry)."""
    return {"materializer_running": running, "kafka_caught_up": caught_up, "registry": True}


async def test_failed_materializer_is_503_naming_it_until_restarted(
    client: httpx.AsyncClient,
    app: FastAPI,
    materializer: FakeMaterializer,
    sleep: HeldSleep,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await asyncio.wait_for(materializer.reading.wait(), timeout=10)
    assert await readyz(client) == (503, {"ready": False, "checks": checks(running=True, caught_up=False)})

    materializer.reading.clear()
    materializer.fail.set()
    await asyncio.wait_for(sleep.waiting.wait(), timeout=10)
    assert await readyz(client) == (
        503,
        {
            "ready": False,
            "checks": checks(running=False, caught_up=False),
            "reason": "materializer failed: ValueError: projection bug; restarting",
        },
    )
    [record] = [r for r in caplog.records if r.name == "consumers.query_api.supervisor"]
    assert (record.levelno, record.getMessage()) == (logging.ERROR, "materializer failed; restarting in 1 s")
    assert record.exc_info is not None
    assert (record.exc_info[0], str(record.exc_info[1])) == (ValueError, "projection bug")

    sleep.release.set()
    await asyncio.wait_for(materializer.reading.wait(), timeout=10)
    assert await readyz(client) == (200, {"ready": True, "checks": checks(running=True, caught_up=True)})
    assert (materializer.runs, app.state.supervisor.restarts, sleep.delays) == (2, 1, [1])
