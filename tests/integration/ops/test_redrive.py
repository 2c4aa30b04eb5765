"""Dead letters on a real broker: read and selected, re-driven once with their headers, never twice."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer

from infra.settings import KafkaSettings
from infra.topics import ensure_topics
from ops.redrive import Selection, read_letters, read_redrives, redrive
from schemas.dead_letters import headers_of
from schemas.partitions import partition_of
from schemas.serde import AvroSerde
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics
from tests.helpers.kafka import read_to_end

OFFSETS = itertools.count(42)
TRACE = ("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")


@pytest.fixture
async def topics(kafka_settings: KafkaSettings) -> KafkaSettings:
    """Every topic, on the test's own prefix."""
    await ensure_topics(kafka_settings)
    return kafka_settings


@pytest.fixture
async def serde(topics: KafkaSettings, registry_settings: RegistrySettings) -> AsyncIterator[AvroSerde]:
    """The serde of dead-letter-redrives."""
    with Serdes(topics, registry_settings) as serdes:
        yield serdes(Topics.DEAD_LETTER_REDRIVES)


async def dead_letter(
    kafka: KafkaSettings, key: bytes | None, service: str, kind: str, source: str, offset: int | None = None
) -> None:
    """Write one dead letter as a processor does: the original key and bytes, headers saying why.

    The source record is at partition 5 of ``source``, at ``offset`` (a new one each time by default).
    """
    producer = AIOKafkaProducer(**kafka.producer_options())
    await producer.start()
    try:
        topic = f"{kafka.topic_prefix}{source}"
        at = next(OFFSETS) if offset is None else offset
        headers = headers_of([TRACE], topic, 5, at, service, kind, f"{kind} failed")
        dead = Topics.DEAD_LETTERS.full_name(kafka.topic_prefix)
        await producer.send_and_wait(dead, b"value of " + (key or b"none"), key=key, headers=headers)
    finally:
        await producer.stop()


async def test_letters_are_selected_newest_first(topics: KafkaSettings) -> None:
    await dead_letter(topics, b"o-1", "orders", "unmatched", "payments")
    await dead_letter(topics, b"o-2", "inventory", "decode", "order-requests")
    await dead_letter(topics, b"o-3", "orders", "apply", "order-actions")
    everything, unreadable = await read_letters(topics, Selection())
    assert ([d.key for d in everything], unreadable) == ([b"o-3", b"o-2", b"o-1"], 0)
    orders, _ = await read_letters(topics, Selection(service="orders"))
    assert [d.key for d in orders] == [b"o-3", b"o-1"]
    payments, _ = await read_letters(topics, Selection(topic="payments", kind="unmatched"))
    assert [(d.key, d.source_topic, d.error) for d in payments] == [
        (b"o-1", f"{topics.topic_prefix}payments", "unmatched failed")
    ]
    by_id, _ = await read_letters(topics, Selection(ids=frozenset({everything[1].id})))
    assert [d.key for d in by_id] == [b"o-2"]
    later, _ = await read_letters(topics, Selection(since_ms=everything[0].timestamp_ms + 1))
    assert later == []


async def test_a_re_drive_sends_each_letter_back_once(topics: KafkaSettings, serde: AvroSerde) -> None:
    await dead_letter(topics, b"o-1", "orders", "unmatched", "payments")
    await dead_letter(topics, None, "orders", "decode", "payments")
    letters, _ = await read_letters(topics, Selection())
    first = await redrive(topics, serde, letters, "ann", "fixed")
    assert ([r["dead_letter_id"] for r in first.redriven], first.already) == ([d.id for d in letters], [])
    again = await redrive(topics, serde, letters, "bob")
    assert (again.redriven, again.already) == ([], first.redriven)

    payments = Topics.PAYMENTS.full_name(topics.topic_prefix)
    back = await read_to_end(topics.servers, [payments])
    keyless, keyed = sorted(back, key=lambda m: m.key or b"")
    assert (keyed.key, keyed.value, keyed.partition) == (b"o-1", b"value of o-1", partition_of("o-1", 6))
    assert (keyless.key, keyless.value, keyless.partition) == (None, b"value of none", 5)
    by_key = {letter.key: letter.id for letter in letters}
    assert keyed.headers == (TRACE, ("redrive-of", by_key[b"o-1"].encode()))
    assert keyless.headers == (TRACE, ("redrive-of", by_key[None].encode()))
    done = await read_redrives(topics, serde)
    assert {i: (r["partition"], r["offset"], r["operator"], r["note"]) for i, r in done.items()} == {
        by_key[b"o-1"]: (keyed.partition, keyed.offset, "ann", "fixed"),
        by_key[None]: (5, keyless.offset, "ann", "fixed"),
    }


async def test_two_re_drives_at_once_send_a_letter_back_once(topics: KafkaSettings, serde: AvroSerde) -> None:
    for n in range(20):
        await dead_letter(topics, f"o-{n}".encode(), "orders", "unmatched", "payments")
    letters, _ = await read_letters(topics, Selection())
    outcomes = await asyncio.gather(
        *(redrive(topics, serde, letters, f"op-{i}") for i in range(3)), return_exceptions=True
    )
    done = [o for o in outcomes if not isinstance(o, BaseException)]
    # a run fenced by a later one fails and writes nothing; the others find the letters re-driven
    assert sum(len(o.redriven) for o in done) == 20
    # what a processor reads (read_committed): a fenced run's records were aborted
    back = await read_to_end(topics.servers, [Topics.PAYMENTS.full_name(topics.topic_prefix)], committed=True)
    assert sorted(m.key or b"" for m in back) == sorted(d.key or b"" for d in letters)


async def test_a_record_dead_lettered_twice_goes_back_once(topics: KafkaSettings, serde: AvroSerde) -> None:
    """A processor rebuilt from the earliest offsets meets a bad record again: a second dead letter of
    the same source record, which a re-drive of the first already sent back."""
    await dead_letter(topics, b"o-7", "inventory", "decode", "inventory-levels", offset=7)
    [first], _ = await read_letters(topics, Selection())
    assert [r["dead_letter_id"] for r in (await redrive(topics, serde, [first], "ann")).redriven] == [
        first.id
    ]
    await dead_letter(topics, b"o-7", "inventory", "decode", "inventory-levels", offset=7)
    letters, _ = await read_letters(topics, Selection())
    [second] = [d for d in letters if d.id != first.id]
    again = await redrive(topics, serde, [second], "bob")
    assert (again.redriven, [r["dead_letter_id"] for r in again.already]) == ([], [first.id])
    back = await read_to_end(
        topics.servers, [Topics.INVENTORY_LEVELS.full_name(topics.topic_prefix)], committed=True
    )
    assert [m.key for m in back] == [b"o-7"]
