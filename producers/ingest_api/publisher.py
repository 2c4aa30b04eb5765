"""Publishes events to Kafka and returns only once they are durably written (acks=all)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from infra.exceptions import ShopStreamError
from infra.metrics import EVENTS_OUT
from infra.settings import KafkaSettings
from schemas.registry import RegistryError
from schemas.serdes import Serdes
from schemas.topics import TopicSpec

log = logging.getLogger(__name__)


class KafkaUnavailable(ShopStreamError):
    """Kafka (or the schema registry) did not take a write in time; the caller must not report success."""


class EventPublisher:
    """One idempotent producer shared by all requests, with one serde per topic."""

    def __init__(self, kafka: KafkaSettings, serdes: Serdes, timeout_s: float) -> None:
        self._kafka = kafka
        self._timeout_s = timeout_s
        self._producer = AIOKafkaProducer(**kafka.producer_options())
        self._serdes = serdes

    async def start(self) -> None:
        """Connect; a broker that is down now only makes requests answer 503 until it is back."""
        try:
            await self._producer.start()
        except KafkaError as exc:
            raise KafkaUnavailable(f"cannot reach Kafka at {self._kafka.bootstrap_servers}") from exc

    async def stop(self) -> None:
        """Flush what is in flight and close."""
        await self._producer.stop()

    async def publish(self, spec: TopicSpec, key: str, record: Mapping[str, Any]) -> None:
        """Write one event and wait for its acknowledgement."""
        await self.publish_many(spec, [(key, record)])

    async def publish_many(self, spec: TopicSpec, events: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Write several events at once and wait until every one is acknowledged."""
        serde = self._serdes(spec)
        topic = spec.full_name(self._kafka.topic_prefix)
        try:
            values = [(key.encode(), serde.encode(record)) for key, record in events]
        except RegistryError as exc:
            raise KafkaUnavailable(f"schema registry unreachable for {topic}") from exc
        try:
            async with asyncio.timeout(self._timeout_s):
                futures = [await self._producer.send(topic, value, key=key) for key, value in values]
                await asyncio.gather(*futures)
        except (KafkaError, TimeoutError) as exc:
            log.warning("publish failed", extra={"topic": topic, "error": repr(exc)})
            raise KafkaUnavailable(f"Kafka did not acknowledge the write to {topic}") from exc
        EVENTS_OUT.labels("ingest-api", spec.name).inc(len(events))

    async def reachable(self) -> bool:
        """Whether a broker answers a metadata request now."""
        try:
            async with asyncio.timeout(2):
                return bool(await self._producer.client.fetch_all_metadata())
        except (KafkaError, TimeoutError):
            return False
