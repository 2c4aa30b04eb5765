"""A record written in a Kafka transaction leaves a marker at the next offset (its commit), which no
consumer is ever handed. ``python -m ops dead-letters redrive`` writes that way to order-requests,
payments, order-actions and the reference topics. The orders processor, alone on topics of its own,
must still commit past the marker, inside the partition and at its very end: its group's lag on
the partition reaches 0, and the orders of the records are created once each. A transaction that
aborts (a re-drive fenced by another) leaves its records in the log: the processor reads committed
records only, so that order is never created, and it commits past them too.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from infra.settings import KafkaSettings
from schemas.partitions import partition_of
from schemas.serdes import Serdes
from schemas.topics import Topics
from tests.helpers.kafka import read_to_end
from tests.helpers.orders import order_placed
from tests.helpers.processes import on_own_topics

COMMITTED_S = 60  # a hole is examined after 5 s stalled, offsets committed every 2.8 s


@pytest.fixture(scope="module")
def orders_worker(kafka: str, schema_registry: str) -> Iterator[KafkaSettings]:
    """The orders processor alone, with no validation time-out in the way."""
    with on_own_topics(["orders"], kafka, schema_registry, ORDERS_VALIDATION_TIMEOUT_S="3600") as settings:
        yield settings


async def committed(settings: KafkaSettings, tp: TopicPartition) -> int | None:
    """The orders group's committed offset on ``tp``."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.servers, group_id=f"{settings.topic_prefix}shopstream-orders"
    )
    await consumer.start()
    try:
        offset: int | None = await consumer.committed(tp)
        return offset
    finally:
        await consumer.stop()


async def test_the_orders_processor_commits_past_a_transaction_marker(
    orders_worker: KafkaSettings, serdes: Serdes
) -> None:
    settings = orders_worker
    requests = Topics.ORDER_REQUESTS.full_name(settings.topic_prefix)
    stem = "txn-" + uuid.uuid4().hex[:8]
    first = f"{stem}-0"
    partition = partition_of(first, settings.partitions)
    second = next(
        f"{stem}-{n}" for n in range(1, 1000) if partition_of(f"{stem}-{n}", settings.partitions) == partition
    )
    encode = serdes(Topics.ORDER_REQUESTS).encode

    await in_a_transaction(settings, requests, first, encode(order_placed(first)))
    plain = AIOKafkaProducer(**settings.producer_options())
    await plain.start()
    try:
        await plain.send_and_wait(requests, encode(order_placed(second)), key=second.encode())
    finally:
        await plain.stop()

    tp = TopicPartition(requests, partition)
    # the order at 0; the marker and the second order at 1 and 2, in whichever order the broker got
    # them (the transaction coordinator writes markers after the commit has returned)
    await committed_up_to(settings, tp, 3)
    last = next(
        f"{stem}-{n}"
        for n in range(1000, 2000)
        if partition_of(f"{stem}-{n}", settings.partitions) == partition
    )
    await in_a_transaction(settings, requests, last, encode(order_placed(last)))
    await committed_up_to(settings, tp, 5)  # the order at 3, the marker at 4: the end of the log
    aborted = next(
        f"{stem}-{n}"
        for n in range(2000, 3000)
        if partition_of(f"{stem}-{n}", settings.partitions) == partition
    )
    await in_a_transaction(settings, requests, aborted, encode(order_placed(aborted)), commit=False)
    await committed_up_to(settings, tp, 7)  # the aborted order at 5, the abort marker at 6

    orders_topic = Topics.ORDERS.full_name(settings.topic_prefix)
    versions = [
        serdes(Topics.ORDERS).decode(m.value) for m in await read_to_end(settings.servers, [orders_topic])
    ]
    mine = sorted((o["order_id"], o["version"]) for o in versions if o["order_id"].startswith(stem))
    assert mine == sorted([(first, 1), (second, 1), (last, 1)])


async def in_a_transaction(
    settings: KafkaSettings, topic: str, key: str, value: bytes, commit: bool = True
) -> None:
    """Write one record in a transaction of its own, committed (as a re-drive does) or aborted."""
    producer = AIOKafkaProducer(
        **settings.producer_options(), transactional_id=f"{settings.topic_prefix}test-redrive"
    )
    await producer.start()
    try:
        await producer.begin_transaction()
        await (await producer.send(topic, value, key=key.encode()))
        await (producer.commit_transaction() if commit else producer.abort_transaction())
    finally:
        await producer.stop()


async def committed_up_to(settings: KafkaSettings, tp: TopicPartition, offset: int) -> None:
    """Wait until the orders group has committed ``offset`` on ``tp``."""
    async with asyncio.timeout(COMMITTED_S):
        seen = None
        while seen != offset:
            await asyncio.sleep(0.5)
            seen = await committed(settings, tp)
