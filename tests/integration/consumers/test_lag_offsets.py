"""The dashboard's consumer lag read from a real broker: a group's committed offsets against the ends.

``KafkaOffsets`` is the part of ``consumers/query_api/lag.py`` that talks to Kafka (the admin
client's committed offsets, a group-less consumer's end offsets); the unit tests give
``LagMonitor`` fakes, so this is where the real answers are checked, including a group that
never committed anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from consumers.query_api.lag import LagMonitor
from infra.lag import KafkaOffsets
from infra.settings import KafkaSettings


async def test_lag_is_end_minus_committed_and_none_for_a_group_that_never_committed(
    kafka: str, topic_factory: Callable[..., Awaitable[str]], group_factory: Callable[[str], str]
) -> None:
    topic = await topic_factory("lag", partitions=1)
    tp = TopicPartition(topic, 0)
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, f"r{i}".encode(), partition=0)
    finally:
        await producer.stop()
    group, idle_group = group_factory("lag"), group_factory("never")
    committer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=group, enable_auto_commit=False)
    await committer.start()
    try:
        committer.assign([tp])
        await committer.commit({tp: OffsetAndMetadata(2, "")})  # three of the five still to process
    finally:
        await committer.stop()

    offsets = KafkaOffsets(KafkaSettings(bootstrap_servers=kafka))
    try:
        assert await offsets.committed(group) == {tp: 2}
        assert await offsets.committed(idle_group) == {}
        assert await offsets.end_offsets([tp]) == {tp: 5}
        monitor = LagMonitor(offsets, {group: "fraud", idle_group: "orders"}, interval_s=60)
        assert await monitor.snapshot() == {
            group: {
                "processor": "fraud",
                "lag": 3,
                "partitions": [{"topic": topic, "partition": 0, "committed": 2, "end": 5, "lag": 3}],
            },
            idle_group: {"processor": "orders", "lag": None, "partitions": []},
        }
    finally:
        await offsets.close()
