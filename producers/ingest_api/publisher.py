"""Publishes events to Kafka and returns only once they are durably written (acks=all)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.producer.message_accumulator import BatchBuilder

from infra.metrics import EVENTS_OUT
from infra.settings import KafkaSettings
from infra.tracing import KafkaHeaders
from schemas.exceptions import ShopStreamError
from schemas.partitions import partition_of
from schemas.records import Customer, InventoryLevel, OrderAction, OrderPlaced, Payment
from schemas.registry import RegistryError
from schemas.serdes import Serdes
from schemas.topics import TopicSpec

log = logging.getLogger(__name__)
#: a record of one of the topics ingest-api writes (SPEC §1); its serde checks it fits the topic's schema
Event = Customer | InventoryLevel | OrderPlaced | Payment | OrderAction


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

    async def publish(self, spec: TopicSpec, key: str, record: Event, headers: KafkaHeaders = ()) -> None:
        """Write one event (with ``headers``, the trace's) and wait for its acknowledgement.

        It joins the producer's open batch for its partition, so concurrent requests share
        produce requests (``linger_ms``) while each still waits for its own acknowledgement.
        """
        topic = spec.full_name(self._kafka.topic_prefix)
        value = self._encode(spec, topic, [record])[0]
        try:
            async with asyncio.timeout(self._timeout_s):
                await (await self._producer.send(topic, value, key=key.encode(), headers=list(headers)))
        except (KafkaError, TimeoutError) as exc:
            raise self._unavailable(topic, exc) from exc
        EVENTS_OUT.labels("ingest-api", spec.name).inc()

    async def publish_many(
        self, spec: TopicSpec, events: Sequence[tuple[str, Event]], headers: KafkaHeaders = ()
    ) -> None:
        """Write several events at once (each with ``headers``) and wait until every one is acknowledged.

        The events are packed into one record batch per partition (murmur2 of the key, SPEC §2),
        in their order: one future per batch, not per record, which is most of aiokafka's cost
        per record. A batch that fills up (``max_batch_size``) is sent and another is started.
        """
        topic = spec.full_name(self._kafka.topic_prefix)
        values = self._encode(spec, topic, [record for _, record in events])
        try:
            async with asyncio.timeout(self._timeout_s):
                partitions = len(await self._producer.partitions_for(topic))
                open_batches: dict[int, BatchBuilder] = {}
                record_headers = list(headers)
                sent: list[asyncio.Future[Any]] = []
                for (key, _), value in zip(events, values, strict=True):
                    key_bytes = key.encode()
                    partition = partition_of(key, partitions)
                    record = {"key": key_bytes, "value": value, "timestamp": None, "headers": record_headers}
                    batch = open_batches.get(partition)
                    if batch is None or batch.append(**record) is None:
                        if batch is not None:
                            sent.append(await self._producer.send_batch(batch, topic, partition=partition))
                        batch = open_batches[partition] = self._producer.create_batch()
                        if batch.append(**record) is None:
                            raise KafkaUnavailable(f"a record of {len(value)} bytes does not fit a batch")
                for partition, batch in open_batches.items():
                    sent.append(await self._producer.send_batch(batch, topic, partition=partition))
                await asyncio.gather(*sent)
        except (KafkaError, TimeoutError) as exc:
            raise self._unavailable(topic, exc) from exc
        EVENTS_OUT.labels("ingest-api", spec.name).inc(len(events))

    def _encode(self, spec: TopicSpec, topic: str, records: Sequence[Event]) -> list[bytes]:
        """The Avro values of ``records``; a registry that cannot be reached is Kafka unavailable."""
        serde = self._serdes(spec)
        try:
            return [serde.encode(record) for record in records]
        except RegistryError as exc:
            raise KafkaUnavailable(f"schema registry unreachable for {topic}") from exc

    @staticmethod
    def _unavailable(topic: str, exc: Exception) -> KafkaUnavailable:
        """What a write that Kafka did not acknowledge in time becomes (logged once here)."""
        log.warning("publish failed", extra={"topic": topic, "error": repr(exc)})
        return KafkaUnavailable(f"Kafka did not acknowledge the write to {topic}")

    async def reachable(self) -> bool:
        """Whether a broker answers a metadata request now."""
        try:
            async with asyncio.timeout(2):
                return bool(await self._producer.client.fetch_all_metadata())
        except (KafkaError, TimeoutError):
            return False
