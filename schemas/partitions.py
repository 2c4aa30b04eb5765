"""Which partition a key belongs on: murmur2(key), as Kafka's Java client computes it (SPEC §2)."""

from __future__ import annotations

from aiokafka.partitioner import murmur2

#: what a producer must use so that keyed records land where the processors keep their state
PARTITIONER = "murmur2 (Kafka's Java client and aiokafka default; librdkafka: partitioner=murmur2_random)"


def partition_of(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` among ``partitions``: where its state lives."""
    return int(murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def wrong_partition_reason(key: str, partitions: int) -> str:
    """The dead-letter reason of a record found on another partition than its key's."""
    return (
        f"WRONG_PARTITION: key {key!r} belongs on partition {partition_of(key, partitions)} of "
        f"{partitions} by {PARTITIONER}; the producer used another partitioner (librdkafka's "
        "default consistent_random hashes with CRC32)"
    )
