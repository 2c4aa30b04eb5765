"""Reading a whole topic, as operator commands need it: every partition, from the start to its end."""

from __future__ import annotations

from typing import Literal

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from infra.settings import KafkaSettings
from infra.topics import partitions_of
from ops.exceptions import OpsError

Isolation = Literal["read_committed", "read_uncommitted"]


async def read_to_end(
    kafka: KafkaSettings, topic: str, isolation_level: Isolation = "read_uncommitted"
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic`` (its name on the cluster) up to the end offsets seen when reading began.

    No consumer group: nothing is committed and nobody's offsets move. With ``read_committed`` the
    end is the last stable offset, so records of a transaction still open are left out.
    Raises :class:`OpsError` when the topic does not exist.
    """
    counts = await partitions_of(kafka, [topic])
    if topic not in counts:
        raise OpsError(f"topic {topic} does not exist on {kafka.bootstrap_servers}")
    tps = [TopicPartition(topic, p) for p in range(counts[topic])]
    consumer = AIOKafkaConsumer(
        **kafka.client_options(),
        group_id=None,
        enable_auto_commit=False,
        isolation_level=isolation_level,
        # an assigned partition is reset as soon as it is assigned; "latest" could win over the seek below
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[ConsumerRecord[bytes, bytes]] = []
        left = {tp for tp in tps if ends[tp] > await consumer.position(tp)}
        while left:
            batches = await consumer.getmany(*left, timeout_ms=500)
            for tp, messages in batches.items():
                records.extend(m for m in messages if m.offset < ends[tp])
            left = {tp for tp in left if await consumer.position(tp) < ends[tp]}
        return records
    finally:
        await consumer.stop()
