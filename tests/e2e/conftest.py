"""The whole system, started once per session on its own topics and ports, driven over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

from infra.services import SERVICES
from infra.settings import KafkaSettings
from infra.topics import ensure_topics
from tests.e2e.shop import Shop
from tests.helpers.processes import free_port, running


@dataclass(frozen=True)
class System:
    """Base URLs of the running services."""

    ingest: str
    query: str


@pytest.fixture(scope="session")
def system(kafka: str, schema_registry: str) -> Iterator[System]:
    """Every service of infra.services on a fresh topic prefix; stopped at the end of the session."""
    prefix = f"e2e-{uuid.uuid4().hex[:8]}."
    asyncio.run(ensure_topics(KafkaSettings(bootstrap_servers=kafka, topic_prefix=prefix)))
    query_port = free_port()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_PREFIX": prefix,
        "SCHEMA_REGISTRY_URL": schema_registry,
        "INGEST_QUERY_BASE_URL": f"http://127.0.0.1:{query_port}",
    }
    with running(SERVICES, env, ports={"query-api": query_port}, tag="e2e-") as services:
        yield System(ingest=services["ingest-api"].url, query=services["query-api"].url)


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
