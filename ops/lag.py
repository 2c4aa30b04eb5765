"""``python -m ops lag``: what each processor's consumer group has left to read, as
``kafka-consumer-groups --describe`` shows it, from outside the group.

Counted as query-api's ``GET /v1/stats/lag`` counts it (:mod:`infra.lag`: end offset minus committed
offset, changelogs and the orders processor's clock left out), with each group's members beside it.
A group with no members still has its committed offsets: its lag then grows with every record
written, which is how work waits while a service is down (SPEC §5).

Exit status: 0 printed, 1 Kafka did not answer, 2 refused (no such processor; the message says why).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from aiokafka.errors import KafkaError

from infra.kafka_clients import started_admin
from infra.lag import KafkaOffsets, LagByTopic, Snapshot, group_lag, lag_by_topic, processor_groups
from infra.settings import KafkaSettings
from ops.exceptions import OpsError
from ops.groups import describe


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``lag`` to the ``python -m ops`` sub-commands."""
    parser: argparse.ArgumentParser = commands.add_parser("lag", help="consumer-group lag of the processors")
    parser.add_argument("service", nargs="?", help="only this processor (orders, fraud, ...)")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print one line per group and topic; 0 done, 1 Kafka did not answer, 2 refused."""
    kafka = KafkaSettings()
    try:
        lags, members = asyncio.run(read_lags(kafka, args.service))
    except OpsError as exc:
        sys.stderr.write(f"refused: {exc}\n")
        return 2
    except KafkaError as exc:
        sys.stderr.write(f"failed: {exc!r} (KAFKA_BOOTSTRAP_SERVERS={kafka.bootstrap_servers})\n")
        return 1
    sys.stdout.write(f"{'service':<14} {'members':>7}  {'topic':<36} {'lag':>6}\n")
    for group in lags["groups"]:
        for topic in group["topics"]:
            name = topic["topic"].removeprefix(kafka.topic_prefix)
            sys.stdout.write(
                f"{group['processor']:<14} {members[group['group']]:>7}  {name:<36} {topic['lag']:>6}\n"
            )
    return 0


async def read_lags(kafka: KafkaSettings, service: str | None) -> tuple[LagByTopic, dict[str, int]]:
    """The lag per topic of every processor group of this deployment (or ``service``'s), as
    ``GET /v1/stats/lag`` shows it, and how many members each group has now."""
    groups = {g: name for g, name in processor_groups(kafka.topic_prefix).items() if service in (None, name)}
    if not groups:
        raise OpsError(f"no processor {service}: one of {', '.join(processor_groups('').values())}")
    offsets = KafkaOffsets(kafka)
    try:
        committed = {group: await offsets.committed(group) for group in groups}
        partitions = {tp for found in committed.values() for tp in found}
        ends = await offsets.end_offsets(partitions) if partitions else {}
    finally:
        await offsets.close()
    admin = await started_admin(kafka)
    try:
        members = {group: len((await describe(admin, group))["members"]) for group in groups}
    finally:
        await admin.close()
    snapshot: Snapshot = {
        g: {"processor": name, **group_lag(committed[g], ends)} for g, name in groups.items()
    }
    return lag_by_topic(snapshot), members
