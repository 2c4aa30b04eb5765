"""Fixtures of the read-model tests on a real broker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from infra.settings import KafkaSettings
from infra.topics import ensure_topics
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
