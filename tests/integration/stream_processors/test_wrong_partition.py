"""A record off its key's murmur2 partition is dead-lettered and changes no state (SPEC §2)."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from itertools import count

import pytest

from infra.settings import KafkaSettings
from infra.topics import partitions_of
from schemas.partitions import partition_of
from schemas.serdes import Serdes
from schemas.topics import Topics
from tests.helpers.kafka import producing, read_records, read_to_end
from tests.helpers.orders import order_placed
from tests.helpers.processes import on_own_topics

STEM = "wp-" + uuid.uuid4().hex[:8]
WRONG_ID = f"{STEM}-x"  # order X: written where a librdkafka producer with its default partitioner puts it


@pytest.fixture(scope="module")
def orders_worker(kafka: str, schema_registry: str) -> Iterator[KafkaSettings]:
    """The orders processor, alone, on topics of its own; no validation time-out during the test."""
    with on_own_topics(["orders"], kafka, schema_registry, ORDERS_VALIDATION_TIMEOUT_S="3600") as settings:
        yield settings


def crc32_partition(key: str, partitions: int) -> int:
    """Where librdkafka's default partitioner (consistent_random: CRC32 of the key) puts ``key``,
    or the next partition when that happens to be the murmur2 one: always a wrong partition."""
    partition = zlib.crc32(key.encode()) % partitions
    if partition == partition_of(key, partitions):
        partition = (partition + 1) % partitions
    return partition


async def test_a_record_on_the_wrong_partition_is_dead_lettered_and_changes_no_state(
    orders_worker: KafkaSettings, serdes: Serdes
) -> None:
    settings = orders_worker
    requests = Topics.ORDER_REQUESTS.full_name(settings.topic_prefix)
    orders_topic = Topics.ORDERS.full_name(settings.topic_prefix)
    dead_topic = Topics.DEAD_LETTERS.full_name(settings.topic_prefix)
    partitions = (await partitions_of(settings, [requests]))[requests]
    wrong = crc32_partition(WRONG_ID, partitions)
    # Y belongs on the partition X was wrongly written to: Y is read after X there, and a state change
    # for X would be published on that same partition of `orders` (its changelog) ahead of Y's record.
    right_id = next(f"{STEM}-y{i}" for i in count() if partition_of(f"{STEM}-y{i}", partitions) == wrong)
    x_value = serdes(Topics.ORDER_REQUESTS).encode(order_placed(WRONG_ID))
    y_value = serdes(Topics.ORDER_REQUESTS).encode(order_placed(right_id))

    async with producing(settings.servers) as producer:
        x_meta = await producer.send_and_wait(requests, x_value, key=WRONG_ID.encode(), partition=wrong)
        # no partition given: aiokafka's default partitioner (murmur2, as Kafka's Java client) picks it
        y_meta = await producer.send_and_wait(requests, y_value, key=right_id.encode())
    assert (x_meta.partition, y_meta.partition) == (wrong, wrong)

    first_order = (await read_records(settings.servers, [orders_topic], 1))[0]
    order = serdes(Topics.ORDERS).decode(first_order.value)
    assert (first_order.key, order["order_id"], order["state"], order["version"]) == (
        right_id.encode(),
        right_id,
        "CREATED",
        1,
    )
    await read_records(settings.servers, [dead_topic], 1)  # waits for X's dead letter
    letters = await read_to_end(settings.servers, [dead_topic])
    assert [(m.key, m.value) for m in letters] == [(WRONG_ID.encode(), x_value)]
    headers = dict(letters[0].headers)
    assert {k: v for k, v in headers.items() if k != "error"} == {
        "error-kind": b"partition",
        "source-topic": requests.encode(),
        "source-partition": str(wrong).encode(),
        "source-offset": str(x_meta.offset).encode(),
        "service": b"orders",
    }
    assert b"WRONG_PARTITION" in headers["error"]
    assert b"murmur2" in headers["error"]

    records = await read_to_end(settings.servers, [orders_topic])
    decoded = [serdes(Topics.ORDERS).decode(m.value) for m in records]
    assert [(o["order_id"], o["state"], o["version"]) for o in decoded] == [(right_id, "CREATED", 1)]
    assert WRONG_ID.encode() not in {m.key for m in records}
