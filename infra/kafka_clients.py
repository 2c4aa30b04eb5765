"""Kafka clients started as every service starts them: never left half-open.

A client whose ``start`` fails (or is cancelled) may already hold connections and a background
task; these helpers close it before the error goes on, so a caller that retries leaks nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from infra.settings import KafkaSettings


class Startable(Protocol):
    """A client that connects in ``start``."""

    async def start(self) -> None:
        """Connect."""


ClientT = TypeVar("ClientT", bound=Startable)


async def started(client: ClientT, close: Callable[[], Awaitable[None]]) -> ClientT:
    """``client`` once ``start`` returned; if it raised (or was cancelled), ``close`` ran first."""
    try:
        await client.start()
    except BaseException:
        await close()
        raise
    return client


async def started_consumer(kafka: KafkaSettings, **options: Any) -> AIOKafkaConsumer:
    """A started consumer on ``kafka``'s cluster with ``options`` (group, offsets, isolation, ...)."""
    consumer = AIOKafkaConsumer(**kafka.client_options(), **options)
    return await started(consumer, consumer.stop)


async def started_admin(kafka: KafkaSettings) -> AIOKafkaAdminClient:
    """A started admin client on ``kafka``'s cluster."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    return await started(admin, admin.close)
