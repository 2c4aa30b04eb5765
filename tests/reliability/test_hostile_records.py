"""Poison records written straight into every input topic: dead-lettered, skipped, and the shop goes on.

The input topics come from the project's flow registry (``schemas.asyncapi.FLOWS``: who receives
what), so a new input topic is covered without touching this file. Processors must send each
unreadable record to ``dead-letters`` with its source topic, partition and offset (SPEC §5);
query-api, a read-only consumer, counts it in ``shopstream_unreadable_records_total`` and skips it.
Afterwards an order placed over HTTP still goes all the way to SHIPPED.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from prometheus_client.parser import text_string_to_metric_families

from infra.settings import KafkaSettings
from schemas.asyncapi import FLOWS
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import ALL, Topics, TopicSpec
from tests.e2e.shop import Shop
from tests.reliability.conftest import FIGURES, HostileSystem
from tests.unit.schemas.samples import SAMPLES

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

READ_MODEL = "query-api"
UNKNOWN_SCHEMA_ID = (2**31 - 16).to_bytes(4, "big")
# dead-letters holds any bytes under its headers, no schema to poison: query-api reads it and skips a
# record without dead-letter headers (tests/unit/consumers/query_api/test_dead_letter_views.py)
RECEIVED = {t for flow in FLOWS.values() for t in flow.receives if t is not Topics.DEAD_LETTERS}
INPUTS = sorted(RECEIVED, key=lambda t: t.name)


def processors_reading(topic: TopicSpec) -> set[str]:
    """The processors (services that may write dead letters) that receive ``topic``."""
    return {
        name for name, flow in FLOWS.items() if topic in flow.receives and Topics.DEAD_LETTERS in flow.sends
    }


def poison(topic: TopicSpec, serdes: Serdes) -> dict[str, bytes | None]:
    """The bad records for ``topic``: by kind, the value to write."""
    assert topic.value is not None
    good = serdes(topic).encode(SAMPLES[topic.value])
    other = next(t for t in INPUTS if t.value != topic.value)
    records: dict[str, bytes | None] = {
        "garbage": b"\xff\xfe\xfd not avro at all \x00",
        "truncated": good[: 5 + (len(good) - 5) // 2],
        "unknown-schema-id": good[:1] + UNKNOWN_SCHEMA_ID + good[5:],
        "wrong-schema": serdes(other).encode(SAMPLES[other.value or ""]),
        "empty": b"",
    }
    if not topic.compacted:  # on a compacted topic a null value is a tombstone, a legitimate delete
        records["null"] = None
    return records


async def unreadable_counts(client: httpx.AsyncClient) -> Counter[str]:
    """query-api's count of skipped records per topic, from its Prometheus metrics."""
    text = (await client.get("/metrics")).text
    counts: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        if family.name == "shopstream_unreadable_records":
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels["service"] == READ_MODEL:
                    counts[sample.labels["topic"]] += int(sample.value)
    return counts


READ_METRICS = {
    "shopstream_events_consumed",
    "shopstream_unreadable_records",
    "shopstream_dead_letters",
}


def topics_read(url: str, kafka: KafkaSettings) -> set[str]:
    """The registry topics a running service has read records from, by its own metrics."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    names = {t.full_name(kafka.topic_prefix): t.name for t in ALL}
    return {
        names[sample.labels["topic"]]
        for family in text_string_to_metric_families(text)
        if family.name in READ_METRICS
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels.get("topic") in names
    }


@pytest.fixture
async def clients(hostile_system: HostileSystem) -> AsyncIterator[Shop]:
    """The shop over HTTP."""
    async with (
        httpx.AsyncClient(base_url=hostile_system.ingest, timeout=30) as ingest,
        httpx.AsyncClient(base_url=hostile_system.query, timeout=70) as query,
    ):
        yield Shop(ingest, query)


@dataclass(frozen=True)
class Sent:
    """Where one poison record went."""

    topic: TopicSpec
    kind: str
    value: bytes | None
    partition: int
    offset: int


async def write_poison(kafka: KafkaSettings, serdes: Serdes) -> dict[bytes, Sent]:
    """Every kind of poison on every input topic, each under a key of its own, and a good record under
    a key that is not UTF-8."""
    run = uuid.uuid4().hex[:8]
    sent: dict[bytes, Sent] = {}
    producer = AIOKafkaProducer(bootstrap_servers=kafka.servers, acks="all")
    await producer.start()
    try:
        for topic in INPUTS:
            records = {
                kind: (f"poison-{run}-{topic.name}-{kind}".encode(), value)
                for kind, value in poison(topic, serdes).items()
            }
            # a good record under a key that is not UTF-8 (SPEC §2 keys are text)
            good = serdes(topic).encode(SAMPLES[topic.value or ""])
            records["key-not-utf8"] = (b"\xff\xfe" + f"poison-{run}-{topic.name}".encode(), good)
            for kind, (key, value) in records.items():
                meta = await producer.send_and_wait(topic.full_name(kafka.topic_prefix), value, key=key)
                sent[key] = Sent(topic, kind, value, meta.partition, meta.offset)
    finally:
        await producer.stop()
    return sent


async def read_dead_letters(
    servers: list[str], topic: str, keys: set[bytes], count: int
) -> list[ConsumerRecord[bytes, bytes]]:
    """Dead letters whose key is one of ``keys``: ``count`` of them (60 s at most), then any extra."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=servers, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(60):
            while len(found) < count:
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    found.extend(m for m in messages if m.key in keys)
        await asyncio.sleep(2)  # a doubled dead letter would arrive about now
        for messages in (await consumer.getmany(timeout_ms=1000)).values():
            found.extend(m for m in messages if m.key in keys)
    finally:
        await consumer.stop()
    return found


def test_every_topic_with_records_is_someones_input() -> None:
    """The flow registry covers the topic registry: no topic is read by nobody (dead-letters aside, above)."""
    assert {t.name for t in INPUTS} == {t.name for t in ALL if t is not Topics.DEAD_LETTERS}


async def test_poison_in_every_input_topic_is_dead_lettered_and_the_shop_goes_on(
    hostile_system: HostileSystem, schema_registry: str, clients: Shop
) -> None:
    kafka = KafkaSettings(bootstrap_servers=hostile_system.bootstrap, topic_prefix=hostile_system.prefix)
    before = await unreadable_counts(clients.query)

    with Serdes(kafka, RegistrySettings(registry_url=schema_registry)) as serdes:
        sent = await write_poison(kafka, serdes)

    # each processor reading the topic dead-letters each record once, naming where it came from
    expected = {(key, service) for key, s in sent.items() for service in processors_reading(s.topic)}
    dead_letters = Topics.DEAD_LETTERS.full_name(kafka.topic_prefix)
    letters = await read_dead_letters(kafka.servers, dead_letters, set(sent), len(expected))
    got = Counter((m.key, dict(m.headers)["service"].decode()) for m in letters)
    assert set(got) == expected
    assert set(got.values()) == {1}
    for m in letters:
        source = sent[m.key]
        headers = dict(m.headers)
        assert m.value == source.value
        assert (headers["source-topic"], headers["source-partition"], headers["source-offset"]) == (
            source.topic.full_name(kafka.topic_prefix).encode(),
            str(source.partition).encode(),
            str(source.offset).encode(),
        )
        assert headers["error-kind"] == b"decode"
        assert headers["error"]
    FIGURES["poison records written"] = len(sent)
    FIGURES["input topics poisoned"] = len(INPUTS)
    FIGURES["dead letters observed"] = len(letters)

    # query-api skipped and counted each poison record of the topics it reads, and still serves
    read_model = {t.full_name(kafka.topic_prefix) for t in FLOWS[READ_MODEL].receives}
    want = Counter(s.topic.full_name(kafka.topic_prefix) for s in sent.values())
    want = Counter({topic: n for topic, n in want.items() if topic in read_model})
    for _ in range(100):
        skipped = await unreadable_counts(clients.query) - before
        if skipped == want:
            break
        await asyncio.sleep(0.2)
    assert skipped == want
    FIGURES["poison records skipped by query-api"] = sum(skipped.values())

    # the flow registry is what the code really reads: each service's own metrics name the same topics,
    # so a topic a service starts reading without saying so in FLOWS fails here, not silently unpoisoned
    for name, flow in FLOWS.items():
        if flow.receives:
            url = hostile_system.services[name].url
            assert topics_read(url, kafka) == {t.name for t in flow.receives}, name

    # a restarted processor re-reads the compacted customers topic but does not dead-letter it again
    details = hostile_system.services["order-details"]
    await asyncio.to_thread(details.stop)
    details.restart()
    await asyncio.to_thread(details.wait_ready)
    again = await read_dead_letters(kafka.servers, dead_letters, set(sent), len(expected))
    assert Counter((m.key, dict(m.headers)["service"].decode()) for m in again) == got

    # and every processor carries on: an order goes from placed to SHIPPED, stock committed, e-mails sent
    customer = await clients.customer()
    sku = await clients.stock(5)
    order_id = await clients.order(customer, (sku, 2, 700))
    assert (await clients.wait(order_id, "VALIDATED,FAILED"))["state"] == "VALIDATED"
    await clients.pay(order_id, 1400)
    await clients.wait(order_id, "PAID")
    await clients.act(order_id, "ship")
    shipped = await clients.wait(order_id, "SHIPPED")
    assert (shipped["paid_cents"], shipped["version"]) == (1400, 4)
    await clients.inventory_becomes(sku, {"on_hand": 3, "reserved": 0, "available": 3})
    [note] = await clients.notifications(customer, "ORDER_SHIPPED", order_id)
    assert note["email"] == f"{customer}@example.com"
