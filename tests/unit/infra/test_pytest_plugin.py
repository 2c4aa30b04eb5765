"""Which broker and registry a test session gets, what its environment says, what it cleans at its end.

Each case runs a whole pytest session in a subprocess, with the session infrastructure (or the
clean-up of a shared cluster) replaced by recorders: nothing here starts a JVM or reaches a cluster.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

RECORDERS = """
import contextlib, json, os
from infra import pytest_plugin, session_infra
from infra.session_names import Cleanup

calls = []


@contextlib.contextmanager
def claimed_slot():
    calls.append("claim slot")
    yield session_infra.Slot(0)
    calls.append("release slot")


@contextlib.contextmanager
def own_kafka(slot):
    calls.append(f"start broker {slot.kafka.broker_port}")
    yield slot.kafka.bootstrap
    calls.append("stop broker")


@contextlib.contextmanager
def own_registry(slot, storage):
    calls.append(f"start registry {slot.registry(storage).port}, storage on {storage}")
    yield slot.registry(storage).url + "/apis/ccompat/v7"
    calls.append("stop registry")


async def clean_kafka(settings, prefixes):
    calls.append(f"clean {settings.bootstrap_servers}: {list(prefixes)}")
    return Cleanup("Kafka at " + settings.bootstrap_servers, {"topics": 2})


def clean_registry(settings, prefixes):
    calls.append(f"clean {settings.registry_url}: {list(prefixes)}")
    return Cleanup("registry at " + settings.registry_url, {"subjects": 1})


session_infra.claimed_slot, session_infra.own_kafka, session_infra.own_registry = (
    claimed_slot, own_kafka, own_registry
)
pytest_plugin._docker_answers = lambda: False
pytest_plugin.clean_kafka, pytest_plugin.clean_registry = clean_kafka, clean_registry


def pytest_unconfigure(config):
    left = {name: os.environ.get(name) for name in ("KAFKA_BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL")}
    with open("record.json", "w") as out:
        json.dump({"calls": calls, "environment after": left}, out)
"""

OWN = """
import os
from infra.session_names import made


def test_uses_the_session_s_own(kafka, schema_registry, kafka_settings):
    assert kafka == "127.0.0.1:18092"
    assert schema_registry == "http://127.0.0.1:18181/apis/ccompat/v7"
    assert os.environ["KAFKA_BOOTSTRAP_SERVERS"] == kafka
    assert os.environ["SCHEMA_REGISTRY_URL"] == schema_registry
    assert kafka_settings.topic_prefix == made()[-1] + "."
"""

SHARED = """
import json
from infra.session_names import made, unique


def test_uses_what_the_environment_names(kafka, schema_registry, kafka_settings, group_factory):
    assert (kafka, schema_registry) == ("kafka.test:9092", "http://registry.test/apis/ccompat/v7")
    group_factory("orders")
    unique("e2e")
    with open("made.json", "w") as out:
        json.dump(made(), out)
"""


def run(pytester: pytest.Pytester, test: str) -> tuple[pytest.RunResult, dict[str, object]]:
    """A pytest session of ``test`` with the recorders; its result and what they recorded."""
    pytester.makeconftest(RECORDERS)
    pytester.makepyfile(test_session=test)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    record: dict[str, object] = json.loads(Path(pytester.path / "record.json").read_text())
    return result, record


@pytest.fixture
def no_cluster_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither variable set, whatever session runs these tests."""
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("SCHEMA_REGISTRY_URL", raising=False)


def test_without_variables_the_session_runs_its_own_and_stops_them(
    pytester: pytest.Pytester, no_cluster_given: None
) -> None:
    result, record = run(pytester, OWN)
    result.assert_outcomes(passed=1)
    assert record == {
        "calls": [
            "claim slot",
            "start broker 18092",
            "start registry 18181, storage on 127.0.0.1:18092",
            "stop registry",
            "stop broker",
            "release slot",
        ],
        "environment after": {"KAFKA_BOOTSTRAP_SERVERS": None, "SCHEMA_REGISTRY_URL": None},
    }
    assert "clean-up of the broker" not in result.stdout.str()


def test_a_broker_given_alone_gets_a_registry_of_the_session_in_memory(
    pytester: pytest.Pytester, no_cluster_given: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka.test:9092")
    pytester.makeconftest(RECORDERS)
    pytester.makepyfile(test_session="def test_registry(schema_registry):\n    assert schema_registry\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)
    record = json.loads(Path(pytester.path / "record.json").read_text())
    assert record["calls"] == [
        "claim slot",
        "start registry 18181, storage on None",
        "stop registry",
        "release slot",
        "clean kafka.test:9092: []",
    ]
    assert record["environment after"] == {
        "KAFKA_BOOTSTRAP_SERVERS": "kafka.test:9092",
        "SCHEMA_REGISTRY_URL": None,
    }


def test_on_a_cluster_given_the_session_deletes_what_it_named_and_says_so(
    pytester: pytest.Pytester, no_cluster_given: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka.test:9092")
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://registry.test/apis/ccompat/v7")
    result, record = run(pytester, SHARED)
    result.assert_outcomes(passed=1)
    names = json.loads(Path(pytester.path / "made.json").read_text())
    assert [name.rsplit("-", 1)[0] for name in names] == ["t", "orders", "e2e"]
    assert record["calls"] == [  # registry first: its fixture ends before the broker's
        f"clean http://registry.test/apis/ccompat/v7: {names}",
        f"clean kafka.test:9092: {names}",
    ]
    result.stdout.fnmatch_lines(
        [
            "*clean-up of the broker and registry given by the environment*",
            "registry at http://registry.test/apis/ccompat/v7: deleted 1 subjects",
            "Kafka at kafka.test:9092: deleted 2 topics",
        ]
    )
