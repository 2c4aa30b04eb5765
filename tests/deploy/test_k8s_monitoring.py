"""infra/k8s monitoring: PodMonitors reach every service and the brokers, the rules and dashboard are the
files of infra/observability, and Strimzi exports the brokers' JMX metrics and consumer group lag."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from infra.k8s import monitoring
from infra.k8s.validate import OVERLAYS, render, schema_errors
from infra.services import SERVICES

Obj = dict[str, Any]


@pytest.fixture(scope="module", params=("dev", "prod"))
def objects(request: pytest.FixtureRequest) -> list[Obj]:
    return render(OVERLAYS / str(request.param))


def one(objects: list[Obj], kind: str, name: str) -> Obj:
    [found] = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and In/NotIn/Exists expressions) applied to labels."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value, operator = labels.get(expression["key"]), expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression["values"]:
            return False
        if operator == "Exists" and value is None:
            return False
    return True


def test_the_services_pod_monitor_scrapes_every_service_as_its_own_job(objects: list[Obj]) -> None:
    monitor = one(objects, "PodMonitor", "shopstream-services")
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    pods = {
        o["metadata"]["name"]: o["spec"]["template"]
        for o in objects
        if o["kind"] in ("Deployment", "StatefulSet")
    }
    scraped = {
        name for name, pod in pods.items() if selects(monitor["spec"]["selector"], pod["metadata"]["labels"])
    }
    assert scraped == {s.name for s in SERVICES}
    for service in SERVICES:
        pod = pods[service.name]
        assert pod["metadata"]["labels"][monitor["spec"]["jobLabel"]] == service.name
        ports = {p["name"] for c in pod["spec"]["containers"] for p in c["ports"]}
        assert endpoint["port"] in ports


def test_prometheus_may_scrape_what_the_pod_monitor_selects(objects: list[Obj]) -> None:
    policy = one(objects, "NetworkPolicy", "prometheus-scrape")
    [rule] = policy["spec"]["ingress"]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]
    assert {"port": "http", "protocol": "TCP"} in rule["ports"]
    for service in SERVICES:
        kind = "Deployment" if service.http_api else "StatefulSet"
        labels = one(objects, kind, service.name)["spec"]["template"]["metadata"]["labels"]
        assert selects(policy["spec"]["podSelector"], labels)


def test_the_kafka_pod_monitor_scrapes_strimzis_exporters(objects: list[Obj]) -> None:
    monitor = one(objects, "PodMonitor", "shopstream-kafka")
    assert monitor["spec"]["selector"] == {
        "matchLabels": {"strimzi.io/cluster": "shopstream", "strimzi.io/kind": "Kafka"}
    }
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("tcp-prometheus", "/metrics")


def test_each_prometheus_rule_is_its_rule_file(objects: list[Obj]) -> None:
    for path in monitoring.RULE_FILES:
        rule = one(objects, "PrometheusRule", f"shopstream-{path.stem}")
        assert rule["spec"]["groups"] == yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]


def test_kafka_exports_jmx_metrics_with_our_rules_and_runs_kafka_exporter(objects: list[Obj]) -> None:
    kafka = one(objects, "Kafka", "shopstream")
    metrics = kafka["spec"]["kafka"]["metricsConfig"]
    assert metrics["type"] == "jmxPrometheusExporter"
    ref = metrics["valueFrom"]["configMapKeyRef"]
    configmap = one(objects, "ConfigMap", ref["name"])
    assert configmap["data"][ref["key"]] == monitoring.JMX_RULES.read_text(encoding="utf-8")
    assert kafka["spec"]["kafkaExporter"]["groupRegex"] == ".*"
    assert kafka["spec"]["kafkaExporter"]["topicRegex"] == ".*"


def test_the_dashboard_is_a_configmap_for_grafanas_sidecar(objects: list[Obj]) -> None:
    configmap = one(objects, "ConfigMap", "shopstream-dashboard")
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    [(name, text)] = configmap["data"].items()
    assert name == monitoring.DASHBOARD.name
    assert json.loads(text) == json.loads(monitoring.DASHBOARD.read_text(encoding="utf-8"))


def test_schema_rejects_a_pod_monitor_and_a_rule_with_bad_fields(objects: list[Obj]) -> None:
    monitor = copy.deepcopy(one(objects, "PodMonitor", "shopstream-services"))
    monitor["spec"]["podMetricsEndpoints"][0]["interval"] = "15 seconds"
    monitor["spec"]["podMetricsEndpoints"][0]["portName"] = "http"
    assert schema_errors(monitor) == [
        "PodMonitor/shopstream-services: spec.podMetricsEndpoints.0: "
        "Additional properties are not allowed ('portName' was unexpected)",
        "PodMonitor/shopstream-services: spec.podMetricsEndpoints.0.interval: "
        "'15 seconds' does not match '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?"
        "(([0-9]+)s)?(([0-9]+)ms)?)$'",
    ]
    rule = copy.deepcopy(one(objects, "PrometheusRule", "shopstream-alerts"))
    del rule["spec"]["groups"][0]["name"]
    assert schema_errors(rule) == [
        "PrometheusRule/shopstream-alerts: spec.groups.0: 'name' is a required property"
    ]
