"""Poison records on a real topic go to dead-letters with their reason; the processor keeps going."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infra.session_names import unique
from infra.settings import KafkaSettings
from infra.topics import ensure_topics
from schemas.partitions import partition_of
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics
from tests.helpers.kafka import producing, read_records, read_to_end
from tests.helpers.orders import order_placed
from tests.helpers.processes import running, service

ORDER_ID = "o-" + uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
def orders_worker(kafka: str, schema_registry: str) -> Iterator[tuple[KafkaSettings, str]]:
    """The orders processor, alone, on topics of its own; and its base URL."""
    settings = KafkaSettings(bootstrap_servers=kafka, topic_prefix=unique("dl") + ".")
    asyncio.run(ensure_topics(settings))
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka, "KAFKA_TOPIC_PREFIX": settings.topic_prefix}
    env["SCHEMA_REGISTRY_URL"] = schema_registry
    with running([service("orders")], env, tag="dl-") as started:
        yield settings, started["orders"].url


@pytest.fixture
def serdes(orders_worker: tuple[KafkaSettings, str], registry_settings: RegistrySettings) -> Iterator[Serdes]:
    """Serdes on the topics of the module's orders worker, closed after the test."""
    with Serdes(orders_worker[0], registry_settings) as serdes:
        yield serdes


async def test_poison_goes_to_dead_letters_and_the_next_record_is_processed(
    orders_worker: tuple[KafkaSettings, str], serdes: Serdes
) -> None:
    settings, url = orders_worker
    serde = serdes(Topics.ORDER_REQUESTS)
    placed = order_placed(ORDER_ID)
    good = serde.encode(placed)
    poison = {
        "garbage": b"\xff\xfe\xfd not avro at all",
        "wrong-magic": b"\x07" + good[1:],
        "unknown-schema-id": b"\x00\x7f\xff\xff\xf0" + good[5:],
        "truncated": good[:-6],
        "key-mismatch": serde.encode({**placed, "order_id": "someone-else"}),
    }
    topic = Topics.ORDER_REQUESTS.full_name(settings.topic_prefix)
    async with producing(settings.servers) as producer:
        for value in poison.values():  # same key as the good record: same partition, read before it
            await producer.send_and_wait(topic, value, key=ORDER_ID.encode())
        await producer.send_and_wait(topic, good, key=ORDER_ID.encode())

    letters = await read_records(
        settings.servers, [Topics.DEAD_LETTERS.full_name(settings.topic_prefix)], len(poison)
    )
    assert [m.value for m in letters] == list(poison.values())
    headers = [dict(m.headers) for m in letters]
    assert [h["error-kind"] for h in headers] == [b"decode"] * 4 + [b"apply"]
    assert {h["source-topic"] for h in headers} == {topic.encode()}
    assert {h["service"] for h in headers} == {b"orders"}
    assert [int(h["source-offset"]) for h in headers] == sorted(int(h["source-offset"]) for h in headers)
    assert b"unknown schema id 2147483632" in headers[2]["error"]

    # the first record of the order
    order_record = (
        await read_records(settings.servers, [Topics.ORDERS.full_name(settings.topic_prefix)], 1)
    )[0]
    order = serdes(Topics.ORDERS).decode(order_record.value)
    assert (order["order_id"], order["state"], order["version"]) == (ORDER_ID, "CREATED", 1)

    # canary of the offset ledger's Faust hooks (stream_processors/common/transport.py): the six
    # records were handed out and processed as the consumer saw them; 0 means an upgrade of Faust
    # stopped calling ``_to_message`` or ``ack`` and commits would stall or pass unprocessed events
    counted = await _ledger_counts(url, len(poison) + 1)
    assert counted["handed_out"] >= len(poison) + 1
    assert counted["processed"] >= len(poison) + 1


async def _ledger_counts(url: str, at_least: int, timeout_s: float = 30) -> dict[str, float]:
    """The orders worker's ledger counters, once both reach ``at_least`` (acks follow the outputs)."""
    counted: dict[str, float] = {}
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            metrics = (await client.get(f"{url}/metrics")).text
            counted = {
                name: _sample(metrics, f'shopstream_offsets_{name}_total{{service="orders"}}')
                for name in ("handed_out", "processed")
            }
            if min(counted.values()) >= at_least or asyncio.get_running_loop().time() > deadline:
                return counted
            await asyncio.sleep(0.2)


def _sample(exposition: str, series: str) -> float:
    """The value of ``series`` in a Prometheus text exposition (0 if absent)."""
    for line in exposition.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


async def test_a_key_that_is_not_utf8_is_dead_lettered_and_the_partition_goes_on(
    orders_worker: tuple[KafkaSettings, str], serdes: Serdes
) -> None:
    """SPEC §2 keys are UTF-8 text: Faust decoding one would crash the agent on every try (a fresh-clone
    user found the orders group stuck behind one such record); the runtime dead-letters it instead."""
    settings, _ = orders_worker
    after = "o-" + uuid.uuid4().hex[:10]
    partition = partition_of(after, settings.partitions)
    bad_key = b"\xff\xfe\xfa"
    placed = serdes(Topics.ORDER_REQUESTS).encode(order_placed(after))
    topic = Topics.ORDER_REQUESTS.full_name(settings.topic_prefix)
    async with producing(settings.servers) as producer:
        sent = await producer.send_and_wait(topic, b"junk", key=bad_key, partition=partition)
        await producer.send_and_wait(topic, placed, key=after.encode())

    dead = Topics.DEAD_LETTERS.full_name(settings.topic_prefix)
    async with asyncio.timeout(60):
        letters: list[Any] = []
        while not letters:
            await asyncio.sleep(0.5)
            letters = [m for m in await read_to_end(settings.servers, [dead]) if m.key == bad_key]
    assert [(m.value, dict(m.headers)["error-kind"], dict(m.headers)["source-offset"]) for m in letters] == [
        (b"junk", b"decode", str(sent.offset).encode())
    ]
    assert dict(letters[0].headers)["error"].startswith(
        b"key is not UTF-8: 'utf-8' codec can't decode byte 0xff"
    )
    orders = Topics.ORDERS.full_name(settings.topic_prefix)
    versions = [
        serdes(Topics.ORDERS).decode(m.value) for m in await read_records(settings.servers, [orders], 2)
    ]
    assert (after, "CREATED", 1) in [(o["order_id"], o["state"], o["version"]) for o in versions]
