"""Writing to Kafka and reading what services wrote there, for tests that check records on the wire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from infra.settings import KafkaSettings
from infra.topics import partitions_of
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics, TopicSpec

Stock = tuple[int, int]  # on_hand, reserved


@asynccontextmanager
async def producing(servers: Sequence[str]) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer with acks=all: ``send_and_wait`` returns once every replica has the record."""
    producer = AIOKafkaProducer(bootstrap_servers=list(servers), acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


class Clients(NamedTuple):
    """What a test needs to write to a service's inputs and read one of its outputs."""

    producer: AIOKafkaProducer
    consumer: AIOKafkaConsumer
    serdes: Serdes


@asynccontextmanager
async def clients(
    kafka: KafkaSettings, registry: RegistrySettings, reading: TopicSpec
) -> AsyncIterator[Clients]:
    """A durable producer, a group-less consumer of ``reading`` from its start, the serdes; closed after."""
    producer = AIOKafkaProducer(**kafka.producer_options())
    consumer = AIOKafkaConsumer(
        reading.full_name(kafka.topic_prefix),
        **kafka.client_options(),
        auto_offset_reset="earliest",
        group_id=None,
    )
    with Serdes(kafka, registry) as serdes:
        try:
            await producer.start()
            await consumer.start()
            yield Clients(producer, consumer, serdes)
        finally:  # each also closes what it never started
            await consumer.stop()
            await producer.stop()


async def read_records(
    servers: Sequence[str],
    topics: Sequence[str],
    count: int,
    timeout_s: float = 30,
    where: Callable[[Any], bool] = lambda record: True,
) -> list[Any]:
    """The first ``count`` records found on ``topics`` from the beginning that are ``where`` (all by default).

    Fails after ``timeout_s``. Each fetch is kept whole, so what comes with the ``count``-th is there too.
    """
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=list(servers), auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    found: list[Any] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(found) < count:
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    found.extend(m for m in messages if where(m))
    finally:
        await consumer.stop()
    return found


async def read_to_end(
    servers: Sequence[str], topics: Sequence[str], timeout_s: float = 30, committed: bool = False
) -> list[Any]:
    """Every record on ``topics`` from the beginning up to the end offsets as they are now.

    ``committed``: as the services read (``read_committed``): records of aborted transactions left out.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=list(servers),
        auto_offset_reset="earliest",
        group_id=None,
        isolation_level="read_committed" if committed else "read_uncommitted",
    )
    await consumer.start()
    found: list[Any] = []
    try:
        counts = await partitions_of(KafkaSettings(bootstrap_servers=",".join(servers)), topics)
        partitions = [TopicPartition(topic, p) for topic in topics for p in range(counts[topic])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = {tp: end for tp, end in (await consumer.end_offsets(partitions)).items() if end > 0}
        async with asyncio.timeout(timeout_s):
            while ends:
                for tp, messages in (await consumer.getmany(*ends, timeout_ms=500)).items():
                    found.extend(m for m in messages if m.offset < ends[tp])
                ends = {tp: end for tp, end in ends.items() if await consumer.position(tp) < end}
    finally:
        await consumer.stop()
    return found


class StockViews:
    """Every ``InventoryView`` published on ``inventory``, per sku and in order, from the beginning.

    The history, not just the latest view: a test can see a reservation that was made and then
    released, however quickly one followed the other.
    """

    def __init__(self, kafka: KafkaSettings, registry: RegistrySettings) -> None:
        self.serdes = Serdes(kafka, registry)
        self.consumer = AIOKafkaConsumer(
            Topics.INVENTORY.full_name(kafka.topic_prefix),
            **kafka.client_options(),
            auto_offset_reset="earliest",
            group_id=None,
        )
        self.seen: dict[str, list[Stock]] = {}

    async def __aenter__(self) -> StockViews:
        try:
            await self.consumer.start()
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.consumer.stop()
        self.serdes.close()

    async def until(
        self, sku: str, done: Callable[[list[Stock]], bool], timeout_s: float = 60
    ) -> list[Stock]:
        """The sku's (on_hand, reserved) views so far, once ``done`` holds for them."""
        decoder = self.serdes(Topics.INVENTORY)
        try:
            async with asyncio.timeout(timeout_s):
                while not done(self.seen.get(sku, [])):
                    for messages in (await self.consumer.getmany(timeout_ms=500)).values():
                        for message in messages:
                            view = decoder.decode(message.value)
                            self.seen.setdefault(view["sku"], []).append((view["on_hand"], view["reserved"]))
        except TimeoutError:
            raise AssertionError(f"{sku}: views so far {self.seen.get(sku, [])}") from None
        return self.seen[sku]

    async def count(self, sku: str, count: int) -> list[Stock]:
        """The sku's views once there are at least ``count``."""
        return await self.until(sku, lambda seen: len(seen) >= count)
