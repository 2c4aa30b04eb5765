"""pytest plugin: a real Kafka broker for the session, and per-test unique topics and groups.

The broker is, in order of preference: ``KAFKA_BOOTSTRAP_SERVERS`` when set; a testcontainers
Kafka container when a Docker engine answers; else the project's local KRaft launcher.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from infra.settings import KafkaSettings, RegistrySettings

log = logging.getLogger(__name__)
KAFKA_IMAGE = "apache/kafka:4.1.1"


def _docker_answers() -> bool:
    """Whether a Docker engine is reachable (testcontainers needs one)."""
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # noqa: BLE001 - any failure means "no engine here"
        return False
    return True


@pytest.fixture(scope="session")
def kafka() -> Iterator[str]:
    """Bootstrap servers of a real broker for the whole session."""
    from_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if from_env:
        yield from_env
    elif _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer(KAFKA_IMAGE).with_kraft() as container:
            yield container.get_bootstrap_server()
    else:
        from infra import local_kafka

        was_running = all(node.running for node in local_kafka.status_single())
        yield local_kafka.start_single()
        if not was_running:  # leave the machine as we found it
            local_kafka.stop_single()


@pytest.fixture(scope="session", autouse=True)
def processor_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Processors started by tests keep their table state in a temporary folder, not in .local/."""
    previous = os.environ.get("PROCESSOR_DATA_DIR")
    os.environ["PROCESSOR_DATA_DIR"] = str(tmp_path_factory.mktemp("faust-state"))
    yield
    if previous is None:
        os.environ.pop("PROCESSOR_DATA_DIR", None)
    else:
        os.environ["PROCESSOR_DATA_DIR"] = previous


def unique(stem: str) -> str:
    """``stem`` plus a short random suffix: a name no other test uses."""
    return f"{stem}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def schema_registry(kafka: str) -> Iterator[str]:
    """Base URL of a Confluent-compatible schema registry: ``SCHEMA_REGISTRY_URL`` or the local one."""
    from_env = os.environ.get("SCHEMA_REGISTRY_URL")
    if from_env:
        yield from_env
        return
    from infra import local_registry

    os.environ.setdefault("SHOPSTREAM_LOCAL_REGISTRY_KAFKA_BOOTSTRAP", kafka.split(",")[0])
    was_running = local_registry.status().running
    yield local_registry.start() + local_registry.CCOMPAT_PATH
    if not was_running:
        local_registry.stop()


@pytest.fixture
def registry_settings(schema_registry: str) -> RegistrySettings:
    """Settings reaching the session's schema registry."""
    return RegistrySettings(registry_url=schema_registry)


@pytest.fixture
def kafka_settings(kafka: str) -> KafkaSettings:
    """Settings reaching the session broker, with a topic prefix of this test's own."""
    return KafkaSettings(bootstrap_servers=kafka, topic_prefix=unique("t") + ".")


@pytest.fixture
def group_factory() -> Callable[[str], str]:
    """Makes consumer group ids no other test uses."""

    def make(stem: str = "group") -> str:
        return unique(stem)

    return make


@pytest.fixture
async def topic_factory(kafka: str) -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """Creates uniquely named topics (deleted after the test): ``await make(stem, partitions=3)``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    created: list[str] = []

    async def make(stem: str = "topic", partitions: int = 3, compacted: bool = False) -> str:
        name = unique(stem)
        config = {"cleanup.policy": "compact" if compacted else "delete"}
        await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=config)])
        created.append(name)
        return name

    yield make
    if created:
        await admin.delete_topics(created)
    await admin.close()
