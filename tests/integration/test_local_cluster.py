"""The local 3-node KRaft cluster replicates a new topic to every node with min.insync.replicas=2."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from infra.local_kafka import start_cluster, stop_cluster
from infra.up import start_kafka
from infra.up_output import StepPrinter

pytestmark = pytest.mark.cluster

PARTITIONS = 3
REPLICATION = 3
ALL_NODES = {1, 2, 3}
METADATA_WAIT_S = 15.0


@pytest.fixture(scope="module")
def cluster_bootstrap() -> Iterator[str]:
    """Start the local cluster for this module and stop it afterwards."""
    bootstrap = start_cluster()
    try:
        yield bootstrap
    finally:
        stop_cluster()


@pytest.fixture
async def admin(cluster_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """An admin client connected to the cluster."""
    client = AIOKafkaAdminClient(bootstrap_servers=cluster_bootstrap, client_id="test-local-cluster")
    await client.start()
    try:
        yield client
    finally:
        await client.close()


async def _describe_when_complete(admin: AIOKafkaAdminClient, topic: str) -> list[dict[str, Any]]:
    """Poll topic metadata until every partition reports a full ISR (metadata propagates async)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + METADATA_WAIT_S
    while True:
        (described,) = await admin.describe_topics([topic])
        partitions: list[dict[str, Any]] = described["partitions"]
        complete = described["error_code"] == 0 and len(partitions) == PARTITIONS
        if complete and all(set(p["isr"]) == ALL_NODES for p in partitions):
            return partitions
        if loop.time() >= deadline:
            return partitions
        await asyncio.sleep(0.2)


async def _effective_config(admin: AIOKafkaAdminClient, topic: str, name: str) -> str:
    """Return the effective value of one topic config."""
    resource = ConfigResource(ConfigResourceType.TOPIC, topic, {name: None})
    (response,) = await admin.describe_configs([resource])
    (result,) = response.to_object()["resources"]
    assert result["error_code"] == 0, result
    values = {entry["config_names"]: entry["config_value"] for entry in result["config_entries"]}
    return str(values[name])


async def test_new_topic_is_fully_replicated(admin: AIOKafkaAdminClient) -> None:
    """A 3x3 topic has 3 replicas and ISR {1,2,3} on every partition, and min.insync.replicas=2."""
    topic = f"it-local-cluster-{uuid.uuid4().hex[:12]}"
    created = await admin.create_topics([NewTopic(topic, PARTITIONS, REPLICATION)])
    assert [(t[0], t[1]) for t in created.topic_errors] == [(topic, 0)]

    partitions = await _describe_when_complete(admin, topic)

    assert sorted(p["partition"] for p in partitions) == list(range(PARTITIONS))
    for partition in partitions:
        assert partition["error_code"] == 0, partition
        assert len(partition["replicas"]) == REPLICATION, partition
        assert set(partition["replicas"]) == ALL_NODES, partition
        assert set(partition["isr"]) == ALL_NODES, partition
    assert await _effective_config(admin, topic, "min.insync.replicas") == "2"
    await admin.delete_topics([topic])


def test_make_up_on_the_cluster_gives_topics_three_replicas_unless_told(
    cluster_bootstrap: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """infra.up's kafka step on a given 3-broker cluster sets KAFKA_REPLICATION_FACTOR=3, and says so."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", cluster_bootstrap)
    # start_kafka writes os.environ itself: setenv first makes monkeypatch restore the variable as it
    # was before this test (unset), so the 3 does not reach the tests that follow; then it is unset
    monkeypatch.setenv("KAFKA_REPLICATION_FACTOR", "1")
    monkeypatch.delenv("KAFKA_REPLICATION_FACTOR")
    with (tmp_path / "out").open("w") as out:
        assert start_kafka(StepPrinter(out.fileno(), 8, live=False), cluster_bootstrap) == cluster_bootstrap
    assert os.environ["KAFKA_REPLICATION_FACTOR"] == "3"
    assert (tmp_path / "out").read_text().endswith("; 3 brokers: replication factor 3\n")
    monkeypatch.setenv("KAFKA_REPLICATION_FACTOR", "2")  # told: kept
    with (tmp_path / "out").open("w") as out:
        start_kafka(StepPrinter(out.fileno(), 8, live=False), cluster_bootstrap)
    assert os.environ["KAFKA_REPLICATION_FACTOR"] == "2"
