"""The test session's own broker and registry: their ports, data and lock, never the dev node's.

Where a slot would be wiped or a JVM started, the launchers are replaced: nothing here starts,
stops or deletes a broker or a registry.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra import local_kafka, local_registry, session_infra
from infra.exceptions import SessionInfraError
from infra.jvm.ports import bindable
from infra.local_kafka.layout import single_spec
from infra.local_registry.layout import RegistrySpec, registry_spec, run_jar
from infra.session_infra import SLOTS, Slot, claimed_slot, own_kafka, own_registry

DEV_SETTINGS = (
    "SHOPSTREAM_LOCAL_KAFKA_PORT",
    "SHOPSTREAM_LOCAL_KAFKA_JMX_PORT",
    "SHOPSTREAM_LOCAL_REGISTRY_PORT",
    "SHOPSTREAM_LOCAL_REGISTRY_MANAGEMENT_PORT",
    "SHOPSTREAM_LOCAL_REGISTRY_STORAGE",
    "SHOPSTREAM_LOCAL_REGISTRY_KAFKA_BOOTSTRAP",
)


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``.local`` in a temporary folder, none of the dev node's settings overridden."""
    monkeypatch.setenv("SHOPSTREAM_LOCAL_DIR", str(tmp_path))
    for name in DEV_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def wiped(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The slots :func:`claimed_slot` wiped, recorded instead of stopping and deleting anything."""
    calls: list[int] = []
    monkeypatch.setattr(session_infra, "wipe", lambda slot: calls.append(slot.index))
    return calls


def test_slot_zero_is_a_node_and_a_registry_apart_from_the_dev_ones(local: Path) -> None:
    slot = Slot(0)
    kafka = slot.kafka
    assert (kafka.name, kafka.broker_port, kafka.controller_port, kafka.jmx_port) == (
        "session",
        18092,
        18093,
        None,
    )
    assert (kafka.directory, kafka.group_dir) == (local / "kafka" / "session", local / "kafka" / "session")
    properties = kafka.server_properties()
    assert properties["listeners"] == "PLAINTEXT://127.0.0.1:18092,CONTROLLER://127.0.0.1:18093"
    assert properties["controller.quorum.voters"] == "1@127.0.0.1:18093"
    assert properties["log.dirs"] == str(local / "kafka" / "session" / "data")
    assert kafka.heap == ("-Xms512m", "-Xmx1g")

    registry = slot.registry("127.0.0.1:18092")
    assert (registry.port, registry.management_port, registry.storage, registry.kafka_bootstrap) == (
        18181,
        18182,
        "kafkasql",
        "127.0.0.1:18092",
    )
    assert registry.directory == local / "registry" / "session"
    assert registry.url == "http://127.0.0.1:18181"
    props = registry.system_properties()
    assert props["apicurio.kafkasql.bootstrap.servers"] == "127.0.0.1:18092"
    assert props["apicurio.storage.snapshot.location"] == str(local / "registry" / "session" / "snapshots")
    assert (props["quarkus.http.port"], props["quarkus.management.port"]) == ("18181", "18182")

    assert slot.ports == (18092, 18093, 18181, 18182)
    assert slot.lock_file == local / "test-sessions" / "0.lock"


def test_a_later_slot_has_ports_and_directories_of_its_own(local: Path) -> None:
    slot = Slot(3)
    assert slot.ports == (18098, 18099, 18187, 18188)
    assert slot.kafka.directory == local / "kafka" / "session-18098"
    assert slot.registry(None).directory == local / "registry" / "session-18187"
    assert slot.lock_file == local / "test-sessions" / "3.lock"


def test_no_slot_meets_another_a_dev_port_or_the_ports_tests_give_services() -> None:
    ports = [port for index in range(SLOTS) for port in Slot(index).ports]
    assert len(ports) == len(set(ports)) == 32
    assert (min(ports), max(ports)) == (18092, 18196)
    dev = {9092, 9093, 8081, 9081}  # make up's node (broker, controller) and registry (HTTP, management)
    elsewhere = {9102, 9103, 9104, 9192, 9193, 9199, 19092, 19093, 19094, 19192, 19193, 19194}
    assert not (dev | elsewhere) & set(ports)  # the secure node, bench.steady's node, the 3-node cluster
    assert max(ports) < 20000  # tests.helpers.processes hands services ports from 20000 up


def test_the_dev_settings_never_move_the_session_node(local: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPSTREAM_LOCAL_KAFKA_PORT", "9300")
    monkeypatch.setenv("SHOPSTREAM_LOCAL_KAFKA_JMX_PORT", "9999")
    monkeypatch.setenv("SHOPSTREAM_LOCAL_REGISTRY_PORT", "8300")
    monkeypatch.setenv("SHOPSTREAM_LOCAL_REGISTRY_STORAGE", "mem")
    assert Slot(0).ports == (18092, 18093, 18181, 18182)
    assert Slot(0).kafka.jmx_port is None
    assert Slot(0).registry("127.0.0.1:18092").storage == "kafkasql"


def test_a_registry_without_a_broker_of_the_session_keeps_its_schemas_in_memory(local: Path) -> None:
    spec = Slot(0).registry(None)
    props = spec.system_properties()
    assert (spec.storage, props["apicurio.storage.kind"], props["apicurio.storage.sql.kind"]) == (
        "mem",
        "sql",
        "h2",
    )
    assert [key for key in props if "kafkasql" in key] == []


def test_make_up_s_node_and_registry_stay_where_they_were(local: Path) -> None:
    node = single_spec()
    assert (node.broker_port, node.controller_port, node.directory) == (
        9092,
        9093,
        local / "kafka" / "single",
    )
    dev = registry_spec()
    assert (dev.port, dev.management_port, dev.storage, dev.kafka_bootstrap, dev.directory) == (
        8081,
        9081,
        "kafkasql",
        "127.0.0.1:9092",
        local / "registry",
    )
    assert dev.system_properties()["apicurio.storage.snapshot.location"] == str(
        local / "registry" / "snapshots"
    )


def test_the_dev_registry_s_jvm_is_never_taken_for_the_session_s(local: Path) -> None:
    session, dev = Slot(0).registry("127.0.0.1:18092"), registry_spec()

    def argv(spec: RegistrySpec) -> list[str]:  # as the launcher starts it
        props = [f"-D{key}={value}" for key, value in sorted(spec.system_properties().items())]
        return ["/usr/bin/java", "-Xmx512m", *props, "-jar", str(run_jar())]

    assert (session.jvm.matches(argv(session)), dev.jvm.matches(argv(session))) == (True, False)
    assert (dev.jvm.matches(argv(dev)), session.jvm.matches(argv(dev))) == (True, False)
    elsewhere = ["/usr/bin/java", *argv(dev)[2:-1], "/elsewhere/quarkus-run.jar"]
    assert (dev.jvm.matches(elsewhere), session.jvm.matches(elsewhere)) == (False, False)


def test_the_first_free_slot_is_wiped_held_and_let_go(
    local: Path, wiped: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_infra, "bindable", lambda port: True)
    with claimed_slot() as first:
        assert (first, wiped) == (Slot(0), [0])
        with claimed_slot() as second:  # another session of this checkout, meanwhile
            assert (second, wiped) == (Slot(1), [0, 1])
    with claimed_slot() as again:
        assert (again, wiped) == (Slot(0), [0, 1, 0])


def test_a_slot_whose_ports_another_program_holds_is_passed_over(
    local: Path, wiped: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_infra, "bindable", lambda port: port not in {18093, 18183})
    with claimed_slot() as slot:
        assert slot == Slot(2)
    assert wiped == [0, 1, 2]  # a JVM an earlier session left is stopped before the ports are judged


def test_no_slot_left_is_an_error_saying_why_for_each(
    local: Path, wiped: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_infra, "bindable", lambda port: port != 18094)
    with claimed_slot(slots=1), pytest.raises(SessionInfraError) as caught, claimed_slot(slots=2):
        pass
    assert str(caught.value) == (
        "no slot for the test session's own broker and registry: "
        f"slot 0: another test session holds {local / 'test-sessions' / '0.lock'}; "
        "slot 1: port(s) [18094] in use by another program"
    )


def test_a_port_something_listens_on_is_not_bindable() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert bindable(port) is False
    assert bindable(port) is True


@pytest.fixture
def launches(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The launchers' starts and stops, recorded; every start fails (as a JVM too slow to answer)."""
    calls: list[str] = []

    def fail(what: str) -> None:
        calls.append(f"start {what}")
        raise local_kafka.LocalKafkaError(f"{what} not ready")

    monkeypatch.setattr(local_kafka, "start_single", lambda spec: fail(spec.name))
    monkeypatch.setattr(local_kafka, "stop_single", lambda spec: calls.append(f"stop {spec.name}"))
    monkeypatch.setattr(local_registry, "start", lambda spec: fail(str(spec.port)))
    monkeypatch.setattr(local_registry, "stop", lambda spec: calls.append(f"stop {spec.port}"))
    yield calls


def test_a_node_or_registry_that_fails_to_start_is_stopped_all_the_same(
    local: Path, launches: list[str]
) -> None:
    with pytest.raises(local_kafka.LocalKafkaError, match="session not ready"), own_kafka(Slot(0)):
        pass
    with pytest.raises(local_kafka.LocalKafkaError, match="18183 not ready"), own_registry(Slot(1), None):
        pass
    assert launches == ["start session", "stop session", "start 18183", "stop 18183"]
