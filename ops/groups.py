"""A consumer group's state and offsets, read and changed the way Kafka's own tools do, with aiokafka.

``kafka-consumer-groups --reset-offsets`` commits the new offsets for an inactive group as a
consumer outside the group (generation -1, no member id), which the broker accepts only while the
group has no members; :func:`commit_offsets` does the same with an aiokafka consumer that is
assigned the partitions and never joins. aiokafka rather than Kafka's tool: the same client and
``KafkaSettings`` (SASL, TLS) as the services, and no JVM where operators run ``python -m ops``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError, for_code

from infra.settings import KafkaSettings
from ops.exceptions import OpsError
from ops.rebuild_plan import TP


@dataclass(frozen=True)
class GroupState:
    """What a rebuild needs to know of a group and the topics it reads."""

    members: tuple[str, ...]  # client ids of the members; empty when no worker runs
    committed: dict[TP, int]
    starts: dict[TP, int]  # log start offsets of the committed partitions
    at_time: dict[TP, int | None]  # first offset at or after the asked time (empty without a time)
    topics: tuple[str, ...]  # every topic on the cluster


async def describe(admin: AIOKafkaAdminClient, group: str, wait_s: float = 15) -> dict[str, Any]:
    """The group as the broker describes it; a coordinator not found yet is asked again a while (a
    broker creates its offsets topic on the first such question)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            [described] = (await admin.describe_consumer_groups([group]))[0].to_object()["groups"]
            return dict(described)
        except GroupCoordinatorNotAvailableError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def read_group(kafka: KafkaSettings, group: str, at_ms: int | None) -> GroupState:
    """The group's members and committed offsets, and the offsets of the partitions it has committed."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        described = await describe(admin, group)
        if described["error_code"]:
            raise for_code(described["error_code"])(f"describing group {group}")
        members = tuple(m["client_id"] for m in described["members"])
        committed = {
            TP(tp.topic, tp.partition): meta.offset
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items()
            if meta.offset >= 0
        }
        topics = tuple(await admin.list_topics())
    finally:
        await admin.close()
    tps = [TopicPartition(*tp) for tp in committed]
    starts: dict[TopicPartition, int] = {}
    found: dict[TopicPartition, Any] = {}
    if tps:  # a group that never committed (a wrong prefix, say) needs no consumer: the plan refuses it
        consumer = AIOKafkaConsumer(**kafka.client_options(), group_id=None, enable_auto_commit=False)
        await consumer.start()
        try:
            starts = await consumer.beginning_offsets(tps)
            if at_ms is not None:
                found = await consumer.offsets_for_times({tp: at_ms for tp in tps})
        finally:
            await consumer.stop()
    return GroupState(
        members=members,
        committed=committed,
        starts={TP(tp.topic, tp.partition): offset for tp, offset in starts.items()},
        at_time={TP(tp.topic, tp.partition): None if ts is None else ts.offset for tp, ts in found.items()},
        topics=topics,
    )


async def commit_offsets(kafka: KafkaSettings, group: str, offsets: Mapping[TP, int]) -> None:
    """Commit ``offsets`` for ``group`` from outside it; the broker refuses while it has members."""
    consumer = AIOKafkaConsumer(**kafka.client_options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(*tp) for tp in offsets])
        await consumer.commit({TopicPartition(*tp): offset for tp, offset in offsets.items()})
    finally:
        await consumer.stop()


async def delete_topics(kafka: KafkaSettings, names: Iterable[str], timeout_s: float = 60) -> None:
    """Delete ``names`` and wait until the cluster no longer lists them (so they can be created again)."""
    wanted = sorted(names)
    if not wanted:
        return
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        response = (await admin.delete_topics(wanted)).to_object()
        for result in response["topic_error_codes"]:
            if result["error_code"]:
                raise for_code(result["error_code"])(f"deleting {result['topic']}")
        deadline = time.monotonic() + timeout_s
        while left := set(wanted) & set(await admin.list_topics()):
            if time.monotonic() > deadline:
                raise OpsError(f"still listed {timeout_s:.0f} s after deletion: {', '.join(sorted(left))}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
