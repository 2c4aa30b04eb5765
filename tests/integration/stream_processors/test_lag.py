"""A processor's lag, oldest-record age, commit latency and rebalances, scraped from its /metrics.

The order-details processor runs alone on topics of its own. ``ORDERS`` orders wait on ``orders``
before it starts, stamped an hour or more in the past, ``STEP_S`` apart. A first worker holds its
first batch for ten minutes (``PROCESSOR_BATCH_WAIT_MS``), so nothing is processed while its
gauges are read: each partition's lag is exactly the records written there, and its age is the
time since its first record's timestamp. That worker is killed; a second one processes the lot, and
then every partition's lag and age are 0, a commit was timed and a rebalance counted.

Also here: the reader of reference data dead-letters an unreadable record with its trace context,
and :class:`HeadReader` reads the timestamp of a record the worker has not fetched.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from faust.types import TP

from infra.settings import KafkaSettings
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics
from stream_processors.common.heads import HeadReader
from tests.helpers.kafka import read_records
from tests.helpers.processes import Running, free_port, own_topics, service, start

ORDERS = 24
STEP_S = 300  # between two orders' timestamps: far more than the test takes, so an age names its record
PARTITIONS = 6  # KafkaSettings.partitions by default
LAG = "shopstream_consumer_lag_records"
AGE = "shopstream_consumer_oldest_unprocessed_age_seconds"
TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
Series = dict[int, float]  # partition → value


@pytest.fixture(scope="module")
def details_topics(kafka: str, schema_registry: str) -> tuple[KafkaSettings, dict[str, str]]:
    """A fresh topic prefix for the order-details processor, and the environment naming it."""
    settings, env = own_topics("lag", kafka, schema_registry)
    return settings, {**env, "PROCESSOR_LAG_INTERVAL_S": "0.5", "DETAILS_SESSION_TIMEOUT_S": "6"}


@pytest.fixture
def worker() -> Iterator[Callable[[dict[str, str]], Running]]:
    """Starts order-details with an environment and waits until ready; stops what it started."""
    started: list[Running] = []

    def run(env: dict[str, str]) -> Running:
        proc = start(service("order-details"), free_port(), env, tag="lag-")
        started.append(proc)
        proc.wait_ready()
        return proc

    yield run
    for proc in started:
        proc.stop()


def order(order_id: str) -> dict[str, Any]:
    """A new order of a customer nobody set: the DETAILS check fails it (UNKNOWN_CUSTOMER)."""
    return {
        "order_id": order_id,
        "customer_id": "c-nobody",
        "currency": "EUR",
        "items": [{"sku": "sku-1", "quantity": 1, "unit_price_cents": 100}],
        "total_cents": 100,
        "paid_cents": 0,
        "state": "CREATED",
        "reasons": [],
        "version": 1,
        "placed_at": 0,
        "updated_at": 0,
    }


async def write_orders(settings: KafkaSettings, serdes: Serdes) -> tuple[Counter[int], dict[int, int]]:
    """Write the orders (murmur2 partitions); records per partition, and each one's first timestamp (ms)."""
    topic, serde = Topics.ORDERS.full_name(settings.topic_prefix), serdes(Topics.ORDERS)
    first_ms = int(time.time() * 1000) - (ORDERS * STEP_S + 3600) * 1000
    counts: Counter[int] = Counter()
    heads: dict[int, int] = {}
    producer = AIOKafkaProducer(**settings.client_options(), acks="all")
    await producer.start()
    try:
        for i in range(ORDERS):
            order_id, stamp = f"o-{uuid.uuid4().hex[:10]}", first_ms + i * STEP_S * 1000
            sent = await producer.send_and_wait(
                topic, serde.encode(order(order_id)), key=order_id.encode(), timestamp_ms=stamp
            )
            counts[sent.partition] += 1
            heads.setdefault(sent.partition, stamp)
    finally:
        await producer.stop()
    return counts, heads


def scrape(url: str, topic: str) -> dict[str, Any]:
    """The worker's lag and age series of ``topic``, and its commit and rebalance counts."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    found: dict[str, Any] = {LAG: {}, AGE: {}, "commits": 0.0, "rebalances": 0.0}
    for line in text.splitlines():
        name, _, rest = line.partition("{")
        if name in (LAG, AGE) and f'topic="{topic}"' in rest:
            partition = int(rest.split('partition="')[1].split('"')[0])
            found[name][partition] = float(line.split()[-1])
        elif name == "shopstream_commit_latency_seconds_count":
            found["commits"] = float(line.split()[-1])
        elif name == "shopstream_rebalances_total":
            found["rebalances"] = float(line.split()[-1])
    return found


def scrape_until(
    url: str, topic: str, done: Callable[[dict[str, Any]], bool], timeout_s: float = 90
) -> dict[str, Any]:
    """Scrape until ``done`` holds of what was scraped; fail with the last scrape after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = scrape(url, topic)
        if done(found):
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"metrics never got there: {found}")
        time.sleep(0.2)


def test_lag_and_age_count_the_records_not_processed_and_drop_to_zero_once_they_are(
    details_topics: tuple[KafkaSettings, dict[str, str]],
    registry_settings: RegistrySettings,
    worker: Callable[[dict[str, str]], Running],
) -> None:
    settings, env = details_topics
    topic = Topics.ORDERS.full_name(settings.topic_prefix)
    with Serdes(settings, registry_settings) as serdes:
        counts, heads = asyncio.run(write_orders(settings, serdes))

    began = time.time()
    holding = worker({**env, "PROCESSOR_BATCH_WAIT_MS": "600000"})  # holds its first batch: processes nothing
    stalled = scrape_until(holding.url, topic, lambda found: len(found[LAG]) == PARTITIONS)
    scraped = time.time()
    assert stalled[LAG] == {p: float(counts[p]) for p in range(PARTITIONS)}
    assert sum(stalled[LAG].values()) == ORDERS
    for p in range(PARTITIONS):  # an age as of a refresh between start and scrape, of p's first record
        if p in heads:
            assert began - heads[p] / 1000 <= stalled[AGE][p] <= scraped - heads[p] / 1000, p
        else:
            assert stalled[AGE][p] == 0.0, p
    holding.kill()

    processing = worker(env)
    done = scrape_until(
        processing.url,
        topic,
        lambda found: len(found[LAG]) == PARTITIONS and not any(found[LAG].values()) and found["commits"] > 0,
    )
    assert done[LAG] == dict.fromkeys(range(PARTITIONS), 0.0)
    assert done[AGE] == dict.fromkeys(range(PARTITIONS), 0.0)
    assert done["commits"] >= 1
    assert done["rebalances"] >= 1


async def test_an_unreadable_customer_is_dead_lettered_with_its_trace_context(
    details_topics: tuple[KafkaSettings, dict[str, str]], worker: Callable[[dict[str, str]], Running]
) -> None:
    settings, env = details_topics
    await asyncio.to_thread(worker, env)
    customers = Topics.CUSTOMERS.full_name(settings.topic_prefix)
    producer = AIOKafkaProducer(**settings.client_options(), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            customers, b"\xff not avro", key=b"c-unreadable", headers=[("traceparent", TRACEPARENT)]
        )
    finally:
        await producer.stop()

    letters = await read_records(settings.servers, [Topics.DEAD_LETTERS.full_name(settings.topic_prefix)], 1)
    headers = dict(letters[0].headers)
    assert (letters[0].key, letters[0].value) == (b"c-unreadable", b"\xff not avro")
    assert (headers["source-topic"], headers["error-kind"]) == (customers.encode(), b"decode")
    assert headers["traceparent"] == TRACEPARENT


async def test_the_head_reader_reads_the_timestamp_of_the_record_at_a_position(
    kafka: str, topic_factory: Callable[..., Any]
) -> None:
    topic = await topic_factory("heads", partitions=2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        for i, stamp in enumerate((1_600_000_000_000, 1_600_000_001_000, 1_600_000_002_000)):
            await producer.send_and_wait(topic, f"r{i}".encode(), partition=0, timestamp_ms=stamp)
    finally:
        await producer.stop()

    reader = HeadReader(KafkaSettings(bootstrap_servers=kafka), timeout_s=3)
    try:
        # offset 1 of partition 0; partition 1 has no record at offset 0 yet: left out after the time-out
        read = await reader.timestamps({TP(topic, 0): 1, TP(topic, 1): 0})
        assert read == {TP(topic, 0): 1_600_000_001_000}
        assert await reader.timestamps({TP(topic, 0): 2}) == {TopicPartition(topic, 0): 1_600_000_002_000}
    finally:
        await reader.close()
