"""Consumer-group lag of the processors: committed and end offsets read from Kafka, and the arithmetic.

Shared by query-api (``GET /v1/stats/lag``, the dashboard) and ``python -m ops lag``, so both count
the same: every partition a group has committed on, its input topics and any internal (repartition)
topic it consumes, since those are work still to do; not the table changelogs (streams do not consume
them) nor the orders processor's ``*-ticks`` clock, which between two commits (every 2.8 s) always
holds a few records that are no one's backlog (:data:`infra.topics.NOT_BACKLOG`). A partition the
group has never committed on is not known to Kafka as the group's, so it is not counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from typing_extensions import TypedDict

from infra.kafka_clients import started_admin, started_consumer
from infra.services import SERVICES
from infra.settings import KafkaSettings
from infra.topics import NOT_BACKLOG


class PartitionLag(TypedDict):
    """One partition a group committed on: its end offset (None if unknown) minus the committed one."""

    topic: str
    partition: int
    committed: int
    end: int | None
    lag: int


class GroupLag(TypedDict):
    """A group's lag in all (None when it committed nothing yet) and per partition."""

    lag: int | None
    partitions: list[PartitionLag]


class ProcessorLag(TypedDict):
    """A processor's consumer group: :class:`GroupLag` with the processor's name first."""

    processor: str
    lag: int | None
    partitions: list[PartitionLag]


#: consumer group id → its processor's lag (``GET /dashboard/lag``)
Snapshot = dict[str, ProcessorLag]


class TopicLag(TypedDict):
    """A group's lag on one topic (its partitions added up)."""

    topic: str
    lag: int


class GroupTopics(TypedDict):
    """A group's lag in all and per topic."""

    group: str
    processor: str
    lag: int | None
    topics: list[TopicLag]


class LagByTopic(TypedDict):
    """``GET /v1/stats/lag``: every group's lag per topic, and the total."""

    total: int
    groups: list[GroupTopics]


def processor_groups(topic_prefix: str) -> dict[str, str]:
    """Consumer group id → processor name, for every Faust processor of ``infra.services``.

    The id is the Faust app id that ``stream_processors.common.app.make_app`` gives each
    processor, ``<prefix>shopstream-<service>``; query-api may not import the processors.
    """
    return {
        f"{topic_prefix}shopstream-{s.name}": s.name
        for s in SERVICES
        if s.module.startswith("stream_processors.")
    }


def group_lag(committed: Mapping[TopicPartition, int], ends: Mapping[TopicPartition, int]) -> GroupLag:
    """The group's total lag and each partition's: end offset minus committed offset, never below 0.

    Changelog and tick topics are left out; a partition whose end offset is unknown counts 0 (and says so).
    ``lag`` is None when the group has committed nothing yet (not started, or nothing to read).
    """
    partitions: list[PartitionLag] = []
    for tp in sorted(committed, key=lambda tp: (tp.topic, tp.partition)):
        if tp.topic.endswith(NOT_BACKLOG):
            continue
        end = ends.get(tp)
        lag = 0 if end is None else max(0, end - committed[tp])
        partitions.append(
            {"topic": tp.topic, "partition": tp.partition, "committed": committed[tp], "end": end, "lag": lag}
        )
    total = sum(p["lag"] for p in partitions) if partitions else None
    return {"lag": total, "partitions": partitions}


def lag_by_topic(snapshot: Mapping[str, ProcessorLag]) -> LagByTopic:
    """``GET /v1/stats/lag``'s body from a :meth:`LagMonitor.snapshot`: lag per group and topic, and total.

    ``{"total": n, "groups": [{"group", "processor", "lag", "topics": [{"topic", "lag"}]}]}``, groups
    and topics by name; a group that committed nothing yet has ``lag`` null, no topics, and adds 0.
    """
    groups: list[GroupTopics] = []
    for group in sorted(snapshot):
        entry = snapshot[group]
        per_topic: dict[str, int] = {}
        for part in entry["partitions"]:
            per_topic[part["topic"]] = per_topic.get(part["topic"], 0) + part["lag"]
        topics: list[TopicLag] = [{"topic": topic, "lag": per_topic[topic]} for topic in sorted(per_topic)]
        groups.append(
            {"group": group, "processor": entry["processor"], "lag": entry["lag"], "topics": topics}
        )
    return {"total": sum(g["lag"] or 0 for g in groups), "groups": groups}


class KafkaOffsets:
    """Offsets read with Kafka's admin client and a group-less consumer, connected on first use."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self._kafka = kafka
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def committed(self, group: str) -> dict[TopicPartition, int]:
        """The group's committed offsets (an unknown group has none)."""
        admin = await self._admin_client()
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}

    async def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """The partitions' end offsets (the high watermarks)."""
        consumer = await self._offsets_consumer()
        ends: dict[TopicPartition, int] = await consumer.end_offsets(list(partitions))
        return ends

    async def close(self) -> None:
        """Close whatever clients were opened."""
        if self._admin is not None:
            await self._admin.close()
            self._admin = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def _admin_client(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            self._admin = await started_admin(self._kafka)
        return self._admin

    async def _offsets_consumer(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            self._consumer = await started_consumer(self._kafka, group_id=None, enable_auto_commit=False)
        return self._consumer
