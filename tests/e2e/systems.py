"""Whole systems for e2e tests: HTTP services plus chosen processors, on topics of their own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from infra.services import SERVICES, Service
from infra.settings import KafkaSettings
from infra.topics import ensure_topics
from tests.helpers.processes import Running, free_port, running

PROCESSORS = [s for s in SERVICES if not s.http_api]


@contextmanager
def start_system(
    kafka: str, registry: str, processors: Sequence[Service], tag: str, **env: str
) -> Iterator[dict[str, Running]]:
    """ingest-api, query-api and ``processors`` on a fresh topic prefix, stopped on exit."""
    prefix = f"e2e-{uuid.uuid4().hex[:8]}."
    asyncio.run(ensure_topics(KafkaSettings(bootstrap_servers=kafka, topic_prefix=prefix)))
    query_port = free_port()
    settings = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_PREFIX": prefix,
        "SCHEMA_REGISTRY_URL": registry,
        "INGEST_QUERY_BASE_URL": f"http://127.0.0.1:{query_port}",
        **env,
    }
    http = [s for s in SERVICES if s.http_api]
    with running([*http, *processors], settings, ports={"query-api": query_port}, tag=tag) as started:
        yield started
