"""Whole systems for e2e tests: HTTP services plus chosen processors, on topics of their own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from infra.services import SERVICES, Service
from infra.session_names import unique
from infra.settings import KafkaSettings
from infra.topics import ensure_topics
from tests.helpers.processes import Running, free_port, running

PROCESSORS = [s for s in SERVICES if not s.http_api]


class ServiceUrls:
    """Base URLs of a started system's two HTTP services, for classes holding its ``services``."""

    services: dict[str, Running]

    @property
    def ingest(self) -> str:
        """Base URL of ingest-api."""
        return self.services["ingest-api"].url

    @property
    def query(self) -> str:
        """Base URL of query-api."""
        return self.services["query-api"].url


def kafka_settings_of(env: Mapping[str, str]) -> KafkaSettings:
    """The Kafka settings a service would read from ``env`` (its ``KAFKA_*`` variables)."""
    fields: dict[str, Any] = {
        k.removeprefix("KAFKA_").lower(): v for k, v in env.items() if k.startswith("KAFKA_")
    }
    return KafkaSettings(**fields)  # what ``env`` leaves out comes from this process's KAFKA_*, as before


@contextmanager
def start_system(
    kafka: str, registry: str, processors: Sequence[Service], tag: str, **env: str
) -> Iterator[dict[str, Running]]:
    """ingest-api, query-api and ``processors`` on a fresh topic prefix, stopped on exit.

    ``env`` is added to every service's environment; its ``KAFKA_*`` entries (say SASL_SSL
    credentials) also reach the admin client that creates the topics.
    """
    prefix = unique("e2e") + "."
    query_port = free_port()
    settings = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_PREFIX": prefix,
        "SCHEMA_REGISTRY_URL": registry,
        "INGEST_QUERY_BASE_URL": f"http://127.0.0.1:{query_port}",
        **env,
    }
    asyncio.run(ensure_topics(kafka_settings_of(settings)))
    http = [s for s in SERVICES if s.http_api]
    with running([*http, *processors], settings, ports={"query-api": query_port}, tag=tag) as started:
        yield started
