"""pytest plugin: a real Kafka broker and schema registry for the session, and per-test unique names.

The broker is, in order of preference: ``KAFKA_BOOTSTRAP_SERVERS`` when set; a testcontainers
Kafka container when a Docker engine answers; else a node of the session's own
(``infra.session_infra``: 127.0.0.1:18092 unless another session of this checkout holds that slot),
never ``make up``'s node on 9092. The registry is ``SCHEMA_REGISTRY_URL`` when set, else one of the
session's own (127.0.0.1:18181), storing in the session's broker, or in memory when that broker is
someone else's. The session's own broker and registry start empty and stop at its end.

While the session runs, ``KAFKA_BOOTSTRAP_SERVERS`` and ``SCHEMA_REGISTRY_URL`` name them, so a
service or settings object no test pointed anywhere reaches them too, not the dev ones. On a
broker or registry given by those variables, the session deletes at its end the topics, consumer
groups and subjects whose names start with one it made (``infra.session_names``), and says so.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from infra import session_infra
from infra.session_names import clean_kafka, clean_registry, made, unique
from infra.settings import KafkaSettings
from schemas.settings import RegistrySettings

log = logging.getLogger(__name__)
KAFKA_IMAGE = "apache/kafka:4.1.1"
_cleanups: list[str] = []  # what the session deleted from a broker or registry not its own


def _docker_answers() -> bool:
    """Whether a Docker engine is reachable (testcontainers needs one)."""
    unix = "http+unix://"
    try:
        import docker
        from docker.utils import kwargs_from_env, parse_host

        host = parse_host(kwargs_from_env().get("base_url"))
        if host.startswith(unix) and not os.path.exists(host.removeprefix(unix)):
            # nothing to ask; and docker-py leaves the socket of a failed connect open (docker/docker-py#3356)
            return False
        with closing(docker.from_env(timeout=3)) as client:
            client.ping()
    except Exception:  # noqa: BLE001 - any failure means "no engine here"
        return False
    return True


@dataclass(frozen=True)
class SessionBroker:
    """The session's broker and whose it is."""

    bootstrap: str
    shared: bool  # given by KAFKA_BOOTSTRAP_SERVERS: what the session made there is deleted at its end


@pytest.fixture(scope="session")
def _session_slot() -> Iterator[session_infra.Slot]:
    """Ports and data of the session's own broker and registry, no other session's (held until the end)."""
    with session_infra.claimed_slot() as slot:
        yield slot


@contextmanager
def _own_broker(request: pytest.FixtureRequest) -> Iterator[str]:
    """A broker for this session alone: a testcontainers Kafka if Docker answers, else the slot's node."""
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer(KAFKA_IMAGE).with_kraft() as container:
            yield container.get_bootstrap_server()
    else:
        with session_infra.own_kafka(request.getfixturevalue("_session_slot")) as bootstrap:
            yield bootstrap


@pytest.fixture(scope="session")
def session_broker(request: pytest.FixtureRequest) -> Iterator[SessionBroker]:
    """The session's broker: ``KAFKA_BOOTSTRAP_SERVERS`` (cleaned at the end) or one of its own."""
    from_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if from_env:
        yield SessionBroker(from_env, shared=True)
        done = asyncio.run(clean_kafka(KafkaSettings(bootstrap_servers=from_env), made()))
        log.info("%s", done.summary())
        _cleanups.append(done.summary())
        return
    with _own_broker(request) as bootstrap, pytest.MonkeyPatch.context() as env:
        env.setenv("KAFKA_BOOTSTRAP_SERVERS", bootstrap)
        yield SessionBroker(bootstrap, shared=False)


@pytest.fixture(scope="session")
def kafka(session_broker: SessionBroker) -> str:
    """Bootstrap servers of a real broker for the whole session (never the dev node, unless given)."""
    return session_broker.bootstrap


@pytest.fixture(scope="session")
def schema_registry(session_broker: SessionBroker, request: pytest.FixtureRequest) -> Iterator[str]:
    """A Confluent-compatible registry's base URL: ``SCHEMA_REGISTRY_URL`` (cleaned at the end) or its own."""
    from_env = os.environ.get("SCHEMA_REGISTRY_URL")
    if from_env:
        yield from_env
        done = clean_registry(RegistrySettings(registry_url=from_env), made())
        log.info("%s", done.summary())
        _cleanups.append(done.summary())
        return
    slot = request.getfixturevalue("_session_slot")
    # KafkaSQL's topics have fixed names: on a broker not the session's own, another registry may use them
    storage = None if session_broker.shared else session_broker.bootstrap.split(",")[0]
    with session_infra.own_registry(slot, storage) as url, pytest.MonkeyPatch.context() as env:
        env.setenv("SCHEMA_REGISTRY_URL", url)
        yield url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say what the session deleted from a broker or registry that is not its own."""
    if _cleanups:
        terminalreporter.section("clean-up of the broker and registry given by the environment")
        for line in _cleanups:
            terminalreporter.write_line(line)


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
