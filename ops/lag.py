"""``python -m ops lag``: what each processor's consumer group has left to read, as
``kafka-consumer-groups --describe`` shows it, from outside the group.

Lag of a partition = its end offset (the last stable offset: the processors read committed) minus
the group's committed offset; changelogs and the orders processor's clock are left out, as
query-api's ``/v1/stats/lag`` leaves them (``infra.topics.NOT_BACKLOG``). A group with no members
still has its committed offsets: its lag then grows with every record written, which is how work
waits while a service is down (SPEC §5).

Exit status: 0 printed, 1 Kafka did not answer, 2 refused (no such group; the message says why).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from infra.settings import KafkaSettings
from infra.topics import NOT_BACKLOG
from ops.exceptions import OpsError
from ops.groups import describe


@dataclass(frozen=True)
class GroupLag:
    """One processor's consumer group: how many members it has and its lag per topic (records).

    Names are as the processors know them: the service (the group is ``<prefix>shopstream-<service>``)
    and topics without the deployment's ``KAFKA_TOPIC_PREFIX``.
    """

    service: str
    members: int
    per_topic: dict[str, int]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``lag`` to the ``python -m ops`` sub-commands."""
    parser: argparse.ArgumentParser = commands.add_parser("lag", help="consumer-group lag of the processors")
    parser.add_argument("service", nargs="?", help="only this processor (orders, fraud, ...)")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print one line per group and topic; 0 done, 2 refused."""
    try:
        lags = asyncio.run(read_lags(KafkaSettings(), args.service))
    except OpsError as exc:
        sys.stderr.write(f"refused: {exc}\n")
        return 2
    except KafkaError as exc:
        sys.stderr.write(f"failed: {exc!r} (KAFKA_BOOTSTRAP_SERVERS={KafkaSettings().bootstrap_servers})\n")
        return 1
    sys.stdout.write(f"{'service':<14} {'members':>7}  {'topic':<36} {'lag':>6}\n")
    for lag in lags:
        for topic, records in sorted(lag.per_topic.items()):
            sys.stdout.write(f"{lag.service:<14} {lag.members:>7}  {topic:<36} {records:>6}\n")
    return 0


async def read_lags(kafka: KafkaSettings, service: str | None) -> list[GroupLag]:
    """The lag of every processor group of this deployment (``<prefix>shopstream-<service>``)."""
    stem = f"{kafka.topic_prefix}shopstream-"
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        listed = sorted(g[0] for g in await admin.list_consumer_groups() if g[0].startswith(stem))
        groups = [g for g in listed if service is None or g == stem + service]
        if not groups:
            raise OpsError(f"no consumer group {stem}{service or '*'} on {kafka.bootstrap_servers}")
        committed = {g: await admin.list_consumer_group_offsets(g) for g in groups}
        members = {g: len((await describe(admin, g))["members"]) for g in groups}
    finally:
        await admin.close()
    ends = await _ends({tp for offsets in committed.values() for tp in offsets}, kafka)
    lags = []
    for group in groups:
        per_topic: dict[str, int] = defaultdict(int)
        for tp, meta in committed[group].items():
            if tp.topic.endswith(NOT_BACKLOG):
                continue
            topic = tp.topic.removeprefix(kafka.topic_prefix)
            per_topic[topic] += max(ends[tp] - meta.offset, 0) if meta.offset >= 0 else ends[tp]
        lags.append(GroupLag(group.removeprefix(stem), members[group], dict(per_topic)))
    return lags


async def _ends(tps: set[TopicPartition], kafka: KafkaSettings) -> dict[TopicPartition, int]:
    """The last stable offset of each partition (what a read_committed consumer reads up to)."""
    if not tps:
        return {}
    consumer = AIOKafkaConsumer(
        **kafka.client_options(), group_id=None, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(list(tps)))
    finally:
        await consumer.stop()
