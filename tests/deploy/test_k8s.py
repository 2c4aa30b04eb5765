"""infra/k8s: generated files match their sources, both overlays render and every object validates."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from infra.k8s import manifests
from infra.k8s.__main__ import main as k8s_main
from infra.k8s.validate import OVERLAYS, render, review, schema_errors
from infra.services import SERVICES
from infra.settings import KafkaSettings
from schemas.topics import ALL

Obj = dict[str, Any]
ENVIRONMENTS = ("dev", "prod")
PROCESSOR_REPLICAS = {"dev": 1, "prod": 3}


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[Obj]]:
    name = str(request.param)
    return name, render(OVERLAYS / name)


def find(objects: list[Obj], kind: str, name: str | None = None) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]


def settings_maps(objects: list[Obj]) -> list[Obj]:
    """The services' settings ConfigMap (kustomize suffixes its name with a hash of its content)."""
    return [o for o in find(objects, "ConfigMap") if o["metadata"]["name"].startswith("shopstream-settings-")]


def test_generated_files_are_up_to_date() -> None:
    assert manifests.stale() == []
    assert k8s_main(["check"]) == 0


def test_check_fails_on_a_hand_edited_topic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    edited = tmp_path / "kafka-topics.yaml"
    edited.write_text(manifests.TOPICS_FILE.read_text().replace("partitions: 6", "partitions: 12", 1))
    monkeypatch.setattr(manifests, "TOPICS_FILE", edited)
    assert manifests.stale() == [edited]
    assert k8s_main(["check"]) == 1


def test_one_kafka_topic_per_registry_topic(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    topics = {o["spec"]["topicName"]: o for o in find(objects, "KafkaTopic")}
    assert sorted(topics) == sorted(spec.full_name(manifests.TOPIC_PREFIX) for spec in ALL)
    default_partitions = KafkaSettings.model_fields["partitions"].default
    for spec in ALL:
        topic = topics[spec.full_name()]
        assert topic["spec"]["partitions"] == (spec.partitions or default_partitions)
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["config"] == {"cleanup.policy": spec.cleanup_policy, "min.insync.replicas": "2"}
        assert topic["metadata"]["labels"] == {"strimzi.io/cluster": "shopstream"}


def test_k8s_names_of_unusual_topic_names() -> None:
    assert manifests.k8s_name("Orders_v2.eu") == "orders-v2-eu"
    assert manifests.k8s_name("_shopstream-registry-journal") == "shopstream-registry-journal"


def test_every_object_validates_against_its_schema(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    assert [error for obj in objects for error in schema_errors(obj)] == []
    kinds = sorted({o["kind"] for o in objects})
    assert kinds == [
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "KafkaUser",
        "Namespace",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "PodMonitor",
        "PrometheusRule",
        "Service",
        "StatefulSet",
    ]


def test_review_finds_nothing(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    assert review(objects) == []


def test_workloads_per_service(overlay: tuple[str, list[Obj]]) -> None:
    name, objects = overlay
    for service in SERVICES:
        kind = "Deployment" if service.http_api else "StatefulSet"
        [workload] = find(objects, kind, service.name)
        [container] = workload["spec"]["template"]["spec"]["containers"]
        assert container["command"] == service.argv(python="python")
        assert container["ports"] == [
            {"name": "http", "containerPort": service.default_port, "protocol": "TCP"}
        ]
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["image"].endswith(":0.1.0")
        assert len(find(objects, "PodDisruptionBudget", service.name)) == 1
        if service.http_api:
            [hpa] = find(objects, "HorizontalPodAutoscaler", service.name)
            assert hpa["spec"]["scaleTargetRef"]["name"] == service.name
        else:
            assert workload["spec"]["replicas"] == PROCESSOR_REPLICAS[name]
            assert workload["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "state"


def test_credentials_come_from_the_kafka_user_secret(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    [user] = find(objects, "KafkaUser")
    assert user["metadata"]["name"] == manifests.KAFKA_USER_SECRET
    assert find(objects, "Secret") == []
    [settings] = settings_maps(objects)
    assert settings["data"]["KAFKA_SASL_USERNAME"] == user["metadata"]["name"]
    for workload in [*find(objects, "Deployment"), *find(objects, "StatefulSet")]:
        for container in workload["spec"]["template"]["spec"]["containers"]:
            refs = [e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e]
            assert refs == [manifests.KAFKA_USER_SECRET], workload["metadata"]["name"]


def test_configmap_names_only_real_settings(overlay: tuple[str, list[Obj]], setting_names: set[str]) -> None:
    _, objects = overlay
    [settings] = settings_maps(objects)
    assert set(settings["data"]) - setting_names == set()
    assert settings["data"]["KAFKA_REPLICATION_FACTOR"] == "3"
    assert settings["data"]["KAFKA_TOPIC_PREFIX"] == manifests.TOPIC_PREFIX


def test_only_http_services_take_outside_traffic(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    policies = find(objects, "NetworkPolicy")
    for service in SERVICES:
        [workload] = find(objects, "Deployment" if service.http_api else "StatefulSet", service.name)
        labels = workload["spec"]["template"]["metadata"]["labels"]
        applying = [p for p in policies if _selects(p["spec"]["podSelector"], labels)]
        assert any(p["metadata"]["name"] == "default-deny" for p in applying)
        open_ingress = [r for p in applying for r in p["spec"].get("ingress", []) if "from" not in r]
        assert bool(open_ingress) == service.http_api, service.name
        peers = [peer for p in applying for r in p["spec"].get("egress", []) for peer in r["to"]]
        assert {_peer_name(peer) for peer in peers} == {"kube-dns", "kafka", "schema-registry"}


def _selects(selector: Obj, labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _peer_name(peer: Obj) -> str:
    labels = peer["podSelector"]["matchLabels"]
    return str(
        labels.get("k8s-app") or labels.get("app.kubernetes.io/name") or labels["strimzi.io/kind"]
    ).lower()


def test_kafka_is_three_kraft_nodes(overlay: tuple[str, list[Obj]]) -> None:
    _, objects = overlay
    [pool] = find(objects, "KafkaNodePool")
    assert pool["spec"]["replicas"] == 3
    assert sorted(pool["spec"]["roles"]) == ["broker", "controller"]
    [kafka] = find(objects, "Kafka")
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2


# --- the validators reject broken objects ---------------------------------------------------------


@pytest.fixture(scope="module")
def prod() -> list[Obj]:
    return render(OVERLAYS / "prod")


@pytest.fixture
def objects(prod: list[Obj]) -> list[Obj]:
    """A copy of the prod overlay's objects, for one test to break."""
    return copy.deepcopy(prod)


def first_container(workload: Obj) -> Obj:
    """The first container of a Deployment's or StatefulSet's pod template."""
    container: Obj = workload["spec"]["template"]["spec"]["containers"][0]
    return container


def test_schema_rejects_a_kafka_topic_with_a_bad_field(objects: list[Obj]) -> None:
    [topic] = find(objects, "KafkaTopic", "orders")
    topic["spec"]["partitions"] = "six"
    topic["spec"]["partitionz"] = 6
    assert schema_errors(topic) == [
        "KafkaTopic/orders: spec: Additional properties are not allowed ('partitionz' was unexpected)",
        "KafkaTopic/orders: spec.partitions: 'six' is not of type 'integer'",
    ]


def test_schema_rejects_a_node_pool_without_storage(objects: list[Obj]) -> None:
    pool = find(objects, "KafkaNodePool")[0]
    del pool["spec"]["storage"]
    assert schema_errors(pool) == ["KafkaNodePool/dual-role: spec: 'storage' is a required property"]


def test_schema_rejects_a_misspelt_deployment_field(objects: list[Obj]) -> None:
    [deployment] = find(objects, "Deployment", "ingest-api")
    first_container(deployment)["livenesProbe"] = {}
    [error] = schema_errors(deployment)
    assert error.startswith("Deployment/ingest-api: spec.template.spec.containers.0: ")
    assert "'livenesProbe' was unexpected" in error


def test_review_rejects_a_container_without_limits_or_probes(objects: list[Obj]) -> None:
    [deployment] = find(objects, "Deployment", "query-api")
    container = first_container(deployment)
    del container["resources"]["limits"]
    del container["readinessProbe"]
    assert review(objects) == [
        "Deployment/query-api container query-api: no cpu limit",
        "Deployment/query-api container query-api: no memory limit",
        "Deployment/query-api container query-api: no readinessProbe",
    ]


def test_review_rejects_latest_mismatched_selectors_and_literal_secrets(objects: list[Obj]) -> None:
    [deployment] = find(objects, "Deployment", "schema-registry")
    first_container(deployment)["image"] = "apicurio/apicurio-registry:latest"
    [fraud] = find(objects, "StatefulSet", "fraud")
    fraud["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] = "frauds"
    [ingest] = find(objects, "Deployment", "ingest-api")
    first_container(ingest)["env"].append({"name": "KAFKA_SASL_PASSWORD", "value": "hunter2"})
    assert review(objects) == [
        "Deployment/ingest-api container ingest-api: KAFKA_SASL_PASSWORD is a literal value, "
        "not a Secret reference",
        "Deployment/schema-registry container schema-registry: image 'apicurio/apicurio-registry:latest' "
        "is not pinned (it needs a version tag or a digest)",
        "StatefulSet/fraud: selector {'app.kubernetes.io/name': 'frauds'} does not match its pod labels",
    ]


def test_review_rejects_more_workers_than_partitions(objects: list[Obj]) -> None:
    [orders] = find(objects, "StatefulSet", "orders")
    orders["spec"]["replicas"] = 7
    [topic] = find(objects, "KafkaTopic", "payments")
    topic["spec"]["partitions"] = 2
    assert review(objects) == [
        "StatefulSet/orders: 7 replicas > 6 partitions of order-requests",
        "StatefulSet/orders: 7 replicas > 6 partitions of order-validations",
        "StatefulSet/orders: 7 replicas > 2 partitions of payments",
        "StatefulSet/orders: 7 replicas > 6 partitions of order-actions",
    ]


def test_review_rejects_state_off_the_volume(objects: list[Obj]) -> None:
    [inventory] = find(objects, "StatefulSet", "inventory")
    first_container(inventory)["volumeMounts"][1]["mountPath"] = "/data"
    assert review(objects) == ["StatefulSet/inventory: PROCESSOR_DATA_DIR is not on a volume claim template"]
