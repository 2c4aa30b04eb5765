"""Processor state follows Kafka, on a real broker: a RocksDB store ahead of its changelog is rebuilt.

fraud keeps each customer's recent orders in its ``recent`` table, on RocksDB here. After two
orders of one customer, the store of that customer's changelog partition holds offset 1. The
changelog is then deleted and created again while the worker is stopped (what a Kafka reset with
the data dir left behind, or a recreated topic, does), with one record of another customer in it.
Faust's recovery raised ``ConsistencyError`` there and the worker crashed; now it logs a WARNING,
drops that partition's store and restores the table from the changelog: the first customer's
orders went with the old changelog, the other customer's came with the new one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from infra.settings import KafkaSettings
from infra.topics import ensure_named, partitions_of
from schemas.clock import now_ms
from schemas.partitions import partition_of
from schemas.settings import RegistrySettings
from schemas.topics import Topics
from tests.helpers.processes import Running, own_topics, running, service
from tests.integration.stream_processors.test_checks import PASS, open_shop, uid

LIMIT = 200_000
OVER = (False, ["FRAUD_LIMIT"])
AHEAD = "table store is ahead of its changelog"


@pytest.fixture
def fraud(kafka: str, schema_registry: str) -> Iterator[tuple[KafkaSettings, Running]]:
    """A fraud worker whose tables are on RocksDB, on topics of its own."""
    settings, env = own_topics("state", kafka, schema_registry)
    env = {**env, "PROCESSOR_STORE": "rocksdb://", "FRAUD_LIMIT_CENTS": str(LIMIT), "FRAUD_WINDOW_S": "3600"}
    with running([service("fraud")], env, tag="state-") as started:
        yield settings, started["fraud"]


def app_id(kafka: KafkaSettings) -> str:
    """fraud's Faust app id, also its consumer group and the stem of its internal topics."""
    return f"{kafka.topic_prefix}shopstream-fraud"


async def committed_all(kafka: KafkaSettings, topics: list[str], timeout_s: float = 60) -> None:
    """Wait until fraud's group has committed everything written to ``topics`` so far."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    consumer = AIOKafkaConsumer(**kafka.client_options(), group_id=None)
    await admin.start()
    await consumer.start()
    partitions = [TopicPartition(topic, p) for topic in topics for p in range(kafka.partitions)]
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                ends = await consumer.end_offsets(partitions)
                done = {
                    tp: m.offset for tp, m in (await admin.list_consumer_group_offsets(app_id(kafka))).items()
                }
                if all(done.get(tp, -1) >= end for tp, end in ends.items() if end > 0):
                    return
                await asyncio.sleep(0.5)
    finally:
        await consumer.stop()
        await admin.close()


async def recreate(kafka: KafkaSettings, topic: str) -> None:
    """Delete ``topic`` and create it again, empty, compacted, as fraud's ``json_table`` declares it."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        await admin.delete_topics([topic])
        async with asyncio.timeout(60):
            while True:
                if topic not in await admin.list_topics():
                    break
                await asyncio.sleep(0.5)
    finally:
        await admin.close()
    assert await ensure_named(kafka, [(topic, {"cleanup.policy": "compact"})]) == [topic]
    async with asyncio.timeout(60):
        while True:
            if (await partitions_of(kafka, [topic])).get(topic) == kafka.partitions:
                return
            await asyncio.sleep(0.5)


def logged(worker: Running, msg: str) -> list[dict[str, Any]]:
    """The worker's log records (JSON lines) whose message starts with ``msg``."""
    found = []
    for line in worker.log.read_text().splitlines():
        if line.startswith("{") and f'"msg":"{msg}' in line:
            found.append(json.loads(line))
    return found


def elsewhere(customer_id: str, partitions: int) -> str:
    """A new customer id whose state lives on another partition than ``customer_id``'s."""
    while partition_of(other := uid("bob"), partitions) == partition_of(customer_id, partitions):
        pass
    return other


async def test_a_store_ahead_of_its_recreated_changelog_is_rebuilt_from_it(
    fraud: tuple[KafkaSettings, Running], registry_settings: RegistrySettings
) -> None:
    kafka, worker = fraud
    changelog = f"{app_id(kafka)}-recent-changelog"
    ann = uid("ann")
    bob = elsewhere(ann, kafka.partitions)
    inputs = [Topics.ORDERS.full_name(kafka.topic_prefix), f"{app_id(kafka)}-orders-by-customer"]
    async with open_shop(kafka, registry_settings, checks=1) as shop:
        first, second = await shop.order(ann, ("a", 150_000)), await shop.order(ann, ("b", 100_000))
        assert await shop.outcomes(first, second) == [{"FRAUD": PASS}, {"FRAUD": OVER}]
        await committed_all(kafka, inputs)  # restarted, fraud must not see ann's orders again
        await asyncio.to_thread(worker.stop)
        assert logged(worker, AHEAD) == []

        await recreate(kafka, changelog)  # ann's partition: the store holds offset 1, the changelog ends at 0
        entries = [[now_ms(), 150_000, uid("o"), True]]  # fraud's: placed_at, total_cents, order_id, passed
        await shop.producer.send_and_wait(
            changelog,
            json.dumps(entries).encode(),
            key=bob.encode(),
            partition=partition_of(bob, kafka.partitions),
        )
        worker.restart()
        # before: ConsistencyError at recovery, and the worker exited
        await asyncio.to_thread(worker.wait_ready)

        [warning] = logged(worker, AHEAD)
        assert {k: warning[k] for k in ("level", "table", "topic", "partition")} == {
            "level": "WARNING",
            "table": "recent",
            "topic": changelog,
            "partition": partition_of(ann, kafka.partitions),
        }
        assert (warning["stored_offset"], warning["changelog_high_water"]) == (1, 0)

        third, fourth = await shop.order(ann, ("c", 150_000)), await shop.order(bob, ("d", 100_000))
        # ann's 250,000 went with the old changelog; bob's 150,000 came with the new one
        assert await shop.outcomes(third, fourth) == [{"FRAUD": PASS}, {"FRAUD": OVER}]
