"""Fixtures and helpers of the fault tests: the 3-node cluster, systems on it, consumer-group lag."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from infra import local_kafka
from infra.services import Service
from infra.settings import KafkaSettings
from schemas.settings import RegistrySettings
from schemas.topics import ALL
from tests.e2e.systems import PROCESSORS
from tests.helpers.processes import Running
from tests.reliability.driver import MAX_IN_FLIGHT


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """The local 3-node cluster (RF 3, min.insync.replicas 2); stopped afterwards if this started it."""
    was_running = all(node.running for node in local_kafka.status_cluster())
    bootstrap = local_kafka.start_cluster()
    yield bootstrap
    if not was_running:
        local_kafka.stop_cluster()


# Orders fail with VALIDATION_TIMEOUT after 30 s by default; rebalances after each crash can delay
# a validator that long, which would settle most orders without their checks. With 120 s nearly
# every order gets its three answers; the time-outs left are counted and reported, not asserted
# (a stall that long is a matter of timing: a lost event shows up in the ledger check instead).
FAULT_ENV = {"ORDERS_VALIDATION_TIMEOUT_S": "120"}


def doubles(names: set[str] | None = None) -> list[Service]:
    """A second worker (``<name>-2``) of each processor, or of those in ``names``."""
    return [
        dataclasses.replace(s, name=f"{s.name}-2") for s in PROCESSORS if names is None or s.name in names
    ]


@dataclass(frozen=True)
class Handles:
    """What a test needs to drive and check a started system."""

    started: dict[str, Running]
    kafka: KafkaSettings
    registry: RegistrySettings

    @asynccontextmanager
    async def clients(self) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
        """HTTP clients of ingest-api and query-api."""
        # idle connections are dropped before uvicorn's 5 s keep-alive ends, so no request is sent
        # on a connection the server is closing (a ReadError that says nothing about the shop)
        limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, keepalive_expiry=2)
        async with (
            httpx.AsyncClient(base_url=self.started["ingest-api"].url, timeout=60, limits=limits) as ingest,
            httpx.AsyncClient(base_url=self.started["query-api"].url, timeout=70) as query,
        ):
            yield ingest, query


def handles(started: dict[str, Running], registry: str, replication: int = 1) -> Handles:
    """The handles of a system started by :func:`tests.e2e.systems.start_system`."""
    env = started["ingest-api"].env
    kafka = KafkaSettings(
        bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
        topic_prefix=env["KAFKA_TOPIC_PREFIX"],
        replication_factor=replication,
    )
    return Handles(started, kafka, RegistrySettings(registry_url=registry))


def group_of(kafka: KafkaSettings, processor: str) -> str:
    """The Faust consumer group of ``processor`` (``<prefix>shopstream-<service>``)."""
    return f"{kafka.topic_prefix}shopstream-{processor}"


class LagProbe:
    """Committed and end offsets of consumer groups, over one admin client and one consumer."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka
        self.names = {spec.full_name(kafka.topic_prefix) for spec in ALL}
        self.admin = AIOKafkaAdminClient(**kafka.client_options())
        self.consumer = AIOKafkaConsumer(**kafka.client_options(), group_id=None)

    async def __aenter__(self) -> LagProbe:
        await self.admin.start()
        await self.consumer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.consumer.stop()
        await self.admin.close()

    async def committed(self, group: str) -> dict[TopicPartition, int]:
        """The group's committed offsets on the registry's topics (internal topics left out)."""
        offsets = await self.admin.list_consumer_group_offsets(group)
        return {tp: m.offset for tp, m in offsets.items() if tp.topic in self.names and m.offset >= 0}

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The current end offset of each partition."""
        ends: dict[TopicPartition, int] = await self.consumer.end_offsets(partitions)
        return ends

    async def lag(self, group: str) -> int:
        """Σ (end offset − committed offset) over the group's partitions."""
        return sum((await self.lag_by_partition(group)).values())

    async def lag_by_partition(self, group: str) -> dict[str, int]:
        """``topic[partition]`` → end offset − committed offset, for each partition that lags."""
        done = await self.committed(group)
        ends = await self.end_offsets(list(done))
        lags = {f"{tp.topic}[{tp.partition}]@{offset}": ends[tp] - offset for tp, offset in done.items()}
        return {where: lag for where, lag in sorted(lags.items()) if lag > 0}

    async def backlog_cleared(self, group: str, killed_at: float, timeout_s: float = 120) -> float | None:
        """Seconds from ``killed_at`` until the group committed everything that was in its topics then.

        That is "lag back to zero" measured while orders keep coming: the records present at the
        kill have all been processed and committed. None if not within ``timeout_s``.
        """
        target = await self.end_offsets(list(await self.committed(group)))
        while time.monotonic() - killed_at < timeout_s:
            done = await self.committed(group)
            if all(done.get(tp, 0) >= end for tp, end in target.items()):
                return time.monotonic() - killed_at
            await asyncio.sleep(0.5)
        return None


REPORT_DIR = Path(".local/reliability")


def report(name: str, figures: Mapping[str, Any]) -> None:
    """Print the figures of a run and keep them in ``.local/reliability/<name>.json`` (not asserted)."""
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    text = json.dumps(figures, indent=2, sort_keys=True, default=str)
    (REPORT_DIR / f"{name}.json").write_text(text + "\n")
    print(f"\n{name}: {text}")  # noqa: T201 - the figures the issue asks for, shown with -s


async def supervise(started: dict[str, Running], stop: asyncio.Event, exits: list[str]) -> None:
    """Restart any processor that exited (as Kubernetes would), noting ``name exit-code`` in ``exits``."""
    while not stop.is_set():
        for name, proc in started.items():
            code = proc.proc.poll()
            if code is not None and not proc.service.http_api:
                exits.append(f"{name} exited {code}")
                proc.restart()
        await asyncio.sleep(1)
