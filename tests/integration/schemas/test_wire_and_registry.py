"""On a real broker and registry: the Confluent header on the wire, one subject per topic, evolution."""

from __future__ import annotations

import httpx
from aiokafka import AIOKafkaProducer

from infra.settings import KafkaSettings
from infra.topics import ensure_topics
from schemas import store
from schemas.registry import SchemaRegistry, subject_of
from schemas.serde import AvroSerde, ConfluentFraming
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import ALL, Topics
from tests.helpers.kafka import read_records
from tests.unit.schemas.samples import SAMPLES

RECORD_TOPICS = [spec for spec in ALL if spec.value is not None]


async def produce(settings: KafkaSettings, records: list[tuple[str, bytes]]) -> None:
    """Write raw values (topic, bytes) with acks=all."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.servers, acks="all")
    await producer.start()
    try:
        for topic, value in records:
            await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def test_every_record_goes_out_with_the_confluent_header_of_its_subject(
    kafka_settings: KafkaSettings, registry_settings: RegistrySettings
) -> None:
    await ensure_topics(kafka_settings)
    with (
        Serdes(kafka_settings, registry_settings) as serdes,
        SchemaRegistry(registry_settings.registry_url) as registry,
    ):
        serdes.prepare(RECORD_TOPICS)
        await produce(
            kafka_settings,
            [
                (spec.full_name(kafka_settings.topic_prefix), serdes(spec).encode(SAMPLES[spec.value or ""]))
                for spec in RECORD_TOPICS
            ],
        )
        records = await read_records(
            kafka_settings.servers,
            [s.full_name(kafka_settings.topic_prefix) for s in RECORD_TOPICS],
            len(RECORD_TOPICS),
        )
        for message in records:
            spec = next(s for s in RECORD_TOPICS if s.full_name(kafka_settings.topic_prefix) == message.topic)
            schema_id = registry.lookup(subject_of(message.topic), store.load(spec.value or ""))
            assert message.value[:5] == b"\x00" + schema_id.to_bytes(4, "big")
            assert serdes(spec).decode(message.value) == SAMPLES[spec.value or ""]
        ours = sorted(s for s in registry.subjects() if s.startswith(kafka_settings.topic_prefix))
    assert ours == sorted(subject_of(s.full_name(kafka_settings.topic_prefix)) for s in RECORD_TOPICS)


async def test_order_v1_and_v2_read_each_other_through_kafka(
    kafka_settings: KafkaSettings, registry_settings: RegistrySettings
) -> None:
    await ensure_topics(kafka_settings, [Topics.ORDERS])
    topic = Topics.ORDERS.full_name(kafka_settings.topic_prefix)
    url = registry_settings.registry_url
    v1_schema, v2_schema, _ = store.versions("Order")
    old = {k: v for k, v in SAMPLES["Order"].items() if k not in {"validated_at", "payment_ids"}}
    old |= {"order_id": "old"}
    new = {k: v for k, v in SAMPLES["Order"].items() if k != "payment_ids"}
    new |= {"order_id": "new", "validated_at": SAMPLES["Order"]["placed_at"]}
    with SchemaRegistry(url) as registry:
        registry.set_compatibility(subject_of(topic), "BACKWARD_TRANSITIVE")
        v1 = AvroSerde(topic, v1_schema, ConfluentFraming(registry, auto_register=True))
        v2 = AvroSerde(topic, v2_schema, ConfluentFraming(registry, auto_register=True))
        await produce(kafka_settings, [(topic, v1.encode(old)), (topic, v2.encode(new))])

    by_id = {m.value[:5]: m.value for m in await read_records(kafka_settings.servers, [topic], 2)}
    assert len(by_id) == 2, "v1 and v2 records carry different schema ids"
    with SchemaRegistry(url) as fresh_for_v1, SchemaRegistry(url) as fresh_for_v2:
        fresh_v1 = AvroSerde(topic, v1_schema, ConfluentFraming(fresh_for_v1, False))
        fresh_v2 = AvroSerde(topic, v2_schema, ConfluentFraming(fresh_for_v2, False))
        decoded_by_v1 = sorted((fresh_v1.decode(v) for v in by_id.values()), key=lambda r: r["order_id"])
        decoded_by_v2 = sorted((fresh_v2.decode(v) for v in by_id.values()), key=lambda r: r["order_id"])
    assert decoded_by_v1 == [{k: v for k, v in new.items() if k != "validated_at"}, old]
    assert decoded_by_v2 == [new, old | {"validated_at": None}]
    async with httpx.AsyncClient() as http:
        versions = await http.get(f"{registry_settings.registry_url}/subjects/{subject_of(topic)}/versions")
    assert versions.json() == [1, 2]
