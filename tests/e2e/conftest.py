"""The whole system, started once per session on its own topics and ports, driven over HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from infra.services import SERVICES, Service
from infra.settings import KafkaSettings
from infra.topics import ensure_topics

LOG_DIR = Path(".local/test-logs")
READY_TIMEOUT_S = 90


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class System:
    """Base URLs of the running services."""

    ingest: str
    query: str
    ports: dict[str, int]


def _wait_ready(service: Service, port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll /readyz until 200; fail with the service's log if it dies or takes too long."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{service.name} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{service.name} not ready in {READY_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def system(kafka: str, schema_registry: str) -> Iterator[System]:
    """Every service of infra.services on a fresh topic prefix; stopped at the end of the session."""
    prefix = f"e2e-{uuid.uuid4().hex[:8]}."
    asyncio.run(ensure_topics(KafkaSettings(bootstrap_servers=kafka, topic_prefix=prefix)))
    ports = {s.name: free_port() for s in SERVICES}
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_PREFIX": prefix,
        "SCHEMA_REGISTRY_URL": schema_registry,
        "INGEST_QUERY_BASE_URL": f"http://127.0.0.1:{ports['query-api']}",
        **{s.port_env: str(ports[s.name]) for s in SERVICES},
    }
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    procs: list[tuple[Service, subprocess.Popen[bytes], Path]] = []
    try:
        for service in SERVICES:
            log = LOG_DIR / f"{service.name}.log"
            with log.open("wb") as out:
                argv = service.argv()  # built from infra.services, never from input
                proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
            procs.append((service, proc, log))
        for service, proc, log in procs:
            _wait_ready(service, ports[service.name], proc, log)
        yield System(
            ingest=f"http://127.0.0.1:{ports['ingest-api']}",
            query=f"http://127.0.0.1:{ports['query-api']}",
            ports=ports,
        )
    finally:
        for _, proc, _ in procs:
            proc.terminate()
        for _, proc, _ in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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
