"""The whole system, started once per session on its own topics and ports, driven over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.e2e.shop import Shop
from tests.e2e.systems import PROCESSORS, start_system


@dataclass(frozen=True)
class System:
    """Base URLs of the running services, and where their topics are."""

    ingest: str
    query: str
    kafka: str
    topic_prefix: str


@pytest.fixture(scope="session")
def system(kafka: str, schema_registry: str) -> Iterator[System]:
    """Every service of infra.services on a fresh topic prefix; stopped at the end of the session."""
    with start_system(kafka, schema_registry, PROCESSORS, tag="e2e-") as services:
        ingest = services["ingest-api"]
        prefix = ingest.env["KAFKA_TOPIC_PREFIX"]
        yield System(ingest=ingest.url, query=services["query-api"].url, kafka=kafka, topic_prefix=prefix)


@pytest.fixture
async def ingest(system: System) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of ingest-api."""
    async with httpx.AsyncClient(base_url=system.ingest, timeout=30) as client:
        yield client


@pytest.fixture
async def query(system: System) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of query-api."""
    async with httpx.AsyncClient(base_url=system.query, timeout=70) as client:
        yield client


@pytest.fixture
def shop(ingest: httpx.AsyncClient, query: httpx.AsyncClient) -> Shop:
    """The shop as a user drives it."""
    return Shop(ingest, query)
