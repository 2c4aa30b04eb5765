"""infra/compose/compose.yaml: valid Compose, every service of infra/services.py wired as settings read it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from infra.k8s.validate import pinned
from infra.services import SERVICES
from infra.settings import KafkaSettings
from schemas.settings import RegistrySettings
from stream_processors.common.settings import ProcessorSettings

COMPOSE = Path(__file__).resolve().parents[2] / "infra" / "compose" / "compose.yaml"
BROKERS = ("kafka-1", "kafka-2", "kafka-3")
SCHEMA = "compose-spec.json"
MONITORING = ("prometheus", "grafana")  # infra/observability; tests/deploy/test_observability.py


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def spec_errors(document: dict[str, Any]) -> list[str]:
    """Every way ``document`` breaks the Compose Specification schema (vendored by check-jsonschema)."""
    found = importlib.util.find_spec("check_jsonschema")  # located, not imported: only its data is used
    assert found is not None and found.submodule_search_locations
    folder = Path(next(iter(found.submodule_search_locations)))
    text = (folder / "builtin_schemas" / "vendor" / SCHEMA).read_text(encoding="utf-8")
    validator = jsonschema.Draft202012Validator(json.loads(text))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    assert spec_errors(compose) == []


def test_the_schema_check_rejects_a_broken_service(compose: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["orders"]["depends_on"]["kafka-1"]["condition"] = "when_ready"
    errors = spec_errors(broken)
    assert len(errors) == 2
    assert errors[0].startswith("['services', 'orders', 'depends_on']: ")
    assert "'when_ready'" in errors[0]
    misspelt = json.loads(json.dumps(compose))
    misspelt["services"]["fraud"]["restarts"] = "always"
    assert spec_errors(misspelt) == [
        "['services', 'fraud']: Unevaluated properties are not allowed ('restarts' was unexpected)"
    ]


def test_every_service_runs_its_module_with_its_port(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for service in SERVICES:
        entry = services[service.name]
        assert entry["command"] == service.argv(python="python")
        env = entry["environment"]
        assert env[service.port_env] == str(service.default_port)
        assert env[service.host_env] == "0.0.0.0"  # noqa: S104 - a container listens on its own address
        published = [f"{service.default_port}:{service.default_port}"] if service.http_api else []
        assert entry.get("ports", []) == published


def test_services_reach_every_broker_and_the_registry(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    services = compose["services"]
    for service in SERVICES:
        for name, value in services[service.name]["environment"].items():
            monkeypatch.setenv(name, value)
        kafka, registry = KafkaSettings(), RegistrySettings()
        assert [s.split(":")[0] for s in kafka.servers] == list(BROKERS)
        assert (kafka.replication_factor, kafka.partitions) == (len(BROKERS), 6)
        assert registry.registry_url == "http://schema-registry:8080/apis/ccompat/v7"
        if not service.http_api:
            processor = ProcessorSettings()
            assert processor.store == "rocksdb://"
            assert services[service.name]["volumes"] == [f"{service.name}:{processor.data_dir}"]


def test_every_variable_names_a_setting(compose: dict[str, Any], setting_names: set[str]) -> None:
    for service in [*(s.name for s in SERVICES), "topics"]:
        unknown = set(compose["services"][service]["environment"]) - setting_names
        assert unknown == set(), service


def test_health_restart_and_start_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {
        *BROKERS,
        "schema-registry",
        "topics",
        *(s.name for s in SERVICES),
        *MONITORING,
    }
    for name, entry in services.items():
        assert pinned(entry["image"]), name
        if name == "topics":
            assert entry["restart"] == "on-failure"
            assert entry["command"] == ["python", "-m", "infra.topics"]
            continue
        assert entry["restart"] == "unless-stopped", name
        assert entry["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    for service in SERVICES:
        depends = services[service.name]["depends_on"]
        assert depends == {
            **{broker: {"condition": "service_healthy"} for broker in BROKERS},
            "schema-registry": {"condition": "service_healthy"},
            "topics": {"condition": "service_completed_successfully"},
        }


def test_three_kraft_nodes_form_one_quorum(compose: dict[str, Any]) -> None:
    envs = [compose["services"][b]["environment"] for b in BROKERS]
    assert [e["KAFKA_NODE_ID"] for e in envs] == ["1", "2", "3"]
    assert {e["KAFKA_CONTROLLER_QUORUM_VOTERS"] for e in envs} == {
        "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
    }
    assert {e["CLUSTER_ID"] for e in envs} != {""} and len({e["CLUSTER_ID"] for e in envs}) == 1
    assert [e["KAFKA_ADVERTISED_LISTENERS"] for e in envs] == [f"PLAINTEXT://{b}:9092" for b in BROKERS]
    assert {compose["services"][b]["image"] for b in BROKERS} == {"apache/kafka:4.1.1"}
