"""Fixtures of the read-model tests on a real broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from infra.settings import KafkaSettings
from infra.topics import ensure_topics
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics


@pytest.fixture
async def counts_topic(kafka_settings: KafkaSettings) -> AsyncIterator[str]:
    """This test's own order-counts topic, deleted afterwards."""
    await ensure_topics(kafka_settings, [Topics.ORDER_COUNTS])
    name = Topics.ORDER_COUNTS.full_name(kafka_settings.topic_prefix)
    yield name
    admin = AIOKafkaAdminClient(**kafka_settings.client_options())
    await admin.start()
    try:
        await admin.delete_topics([name])
    finally:
        await admin.close()


class Counts:
    """Writes ``OrderCount`` records of state CREATED to this test's order-counts topic, partition 0."""

    def __init__(self, serdes: Serdes, producer: AIOKafkaProducer, topic: str) -> None:
        self.serdes = serdes
        self.producer = producer
        self.topic = topic

    def value(self, count: int) -> bytes:
        """The encoded record of ``count`` orders CREATED."""
        return self.serdes(Topics.ORDER_COUNTS).encode({"state": "CREATED", "count": count})

    async def send(self, counts: Iterable[int]) -> None:
        """Each of ``counts`` in turn, each acknowledged (acks=all) before the next."""
        for count in counts:
            await self.producer.send_and_wait(self.topic, self.value(count), key=b"CREATED", partition=0)


@pytest.fixture
async def counts(
    kafka_settings: KafkaSettings, registry_settings: RegistrySettings, counts_topic: str
) -> AsyncIterator[Counts]:
    """A started :class:`Counts` (its schema registered) on ``counts_topic``; stopped and closed after."""
    with Serdes(kafka_settings, registry_settings) as serdes:
        await asyncio.to_thread(serdes(Topics.ORDER_COUNTS).prepare)
        producer = AIOKafkaProducer(**kafka_settings.client_options(), acks="all")
        await producer.start()
        try:
            yield Counts(serdes, producer, counts_topic)
        finally:
            await producer.stop()
