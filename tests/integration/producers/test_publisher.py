"""ingest-api's publisher on a real broker: every record on its key's partition, once, in order.

``publish_many`` packs a request's events into one record batch per partition and starts another
when one fills up (``max_batch_size``); ``publish`` joins the producer's open batch. What is
checked is what a consumer reads back: the exact keys and values, each on murmur2(key)'s
partition (SPEC §2), in request order within a partition, none missing and none twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest

from infra.session_names import unique
from infra.settings import KafkaSettings
from infra.topics import ensure_topics
from producers.ingest_api.publisher import EventPublisher
from schemas.partitions import partition_of
from schemas.records import OrderLine, OrderPlaced
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics
from tests.helpers.kafka import read_records

PARTITIONS = 6


def order(order_id: str, lines: int = 3, sku_chars: int = 8) -> OrderPlaced:
    """An ``OrderPlaced`` record; long skus make it large enough to fill batches."""
    items: list[OrderLine] = [
        {"sku": f"{i:0{sku_chars}d}", "quantity": 1 + i % 5, "unit_price_cents": 100 + i}
        for i in range(lines)
    ]
    return {
        "order_id": order_id,
        "customer_id": f"c-{order_id}",
        "currency": "EUR",
        "items": items,
        "placed_at": 1_795_867_200_000,
    }


@pytest.fixture
async def publishing(
    kafka: str, registry_settings: RegistrySettings
) -> AsyncIterator[tuple[EventPublisher, Serdes, KafkaSettings]]:
    settings = KafkaSettings(bootstrap_servers=kafka, topic_prefix=unique("pub") + ".", partitions=PARTITIONS)
    await ensure_topics(settings, [Topics.ORDER_REQUESTS])
    with Serdes(settings, registry_settings) as serdes:
        publisher = EventPublisher(settings, serdes, timeout_s=30)
        await publisher.start()
        try:
            yield publisher, serdes, settings
        finally:
            await publisher.stop()


async def read_back(settings: KafkaSettings, serdes: Serdes, count: int) -> dict[int, list[tuple[str, Any]]]:
    """Per partition, the (key, decoded value) of the first ``count`` records on order-requests."""
    topic = Topics.ORDER_REQUESTS.full_name(settings.topic_prefix)
    serde = serdes(Topics.ORDER_REQUESTS)
    by_partition: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for record in sorted(await read_records(settings.servers, [topic], count), key=lambda r: r.offset):
        by_partition[record.partition].append((record.key.decode(), serde.decode(record.value)))
    return by_partition


def expected(events: list[tuple[str, OrderPlaced]]) -> dict[int, list[tuple[str, Any]]]:
    """Where murmur2 puts each event, in the order it was given."""
    by_partition: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for key, record in events:
        by_partition[partition_of(key, PARTITIONS)].append((key, record))
    return by_partition


async def test_a_batch_lands_on_its_keys_partitions_in_order_once(
    publishing: tuple[EventPublisher, Serdes, KafkaSettings],
) -> None:
    publisher, serdes, settings = publishing
    events = [(f"o-{i}", order(f"o-{i}")) for i in range(1000)]
    await publisher.publish_many(Topics.ORDER_REQUESTS, events)
    await publisher.publish(Topics.ORDER_REQUESTS, "o-single", order("o-single"))

    got = await read_back(settings, serdes, len(events) + 1)
    want = expected([*events, ("o-single", order("o-single"))])
    assert got == want
    assert sum(len(records) for records in got.values()) == 1001


async def test_a_batch_larger_than_max_batch_size_is_split_and_still_in_order(
    publishing: tuple[EventPublisher, Serdes, KafkaSettings],
) -> None:
    publisher, serdes, settings = publishing
    # ~3.5 kB each: 600 of them are ~350 kB per partition, more than one 256 kB batch holds
    events = [(f"big-{i}", order(f"big-{i}", lines=50, sku_chars=60)) for i in range(600)]
    per_partition_bytes: defaultdict[int, int] = defaultdict(int)
    for key, record in events:
        per_partition_bytes[partition_of(key, PARTITIONS)] += len(
            serdes(Topics.ORDER_REQUESTS).encode(record)
        )
    assert max(per_partition_bytes.values()) > settings.producer_options()["max_batch_size"]

    await publisher.publish_many(Topics.ORDER_REQUESTS, events)

    assert await read_back(settings, serdes, len(events)) == expected(events)
