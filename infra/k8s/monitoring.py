"""The generated monitoring part of the Kubernetes base, from the files of ``infra/observability``.

For a Prometheus run by the Prometheus Operator (kube-prometheus-stack, say) in namespace
``monitoring``, which the NetworkPolicy ``prometheus-scrape`` lets in:

- a ``PodMonitor`` scraping every service's ``/metrics`` on its ``http`` port, the job named after the
  service (``app.kubernetes.io/name``), as the Compose Prometheus names it;
- a ``PodMonitor`` scraping Strimzi's broker JMX exporter and Kafka Exporter (port ``tcp-prometheus``);
- a ``PrometheusRule`` per rule file (``prometheus/alerts.yaml``, ``prometheus/kafka-alerts.yaml``);
- the ConfigMap of the brokers' JMX exporter rules that ``base/kafka.yaml`` references;
- the Grafana dashboard as a ConfigMap labelled ``grafana_dashboard``, which Grafana's dashboard sidecar
  (kube-prometheus-stack's default) loads.

Kustomize reads no file outside the base, so these files are copied into the generated manifests and
``python -m infra.k8s check`` fails when a copy drifts from its source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

OBSERVABILITY = Path(__file__).resolve().parents[1] / "observability"
RULE_FILES = (
    OBSERVABILITY / "prometheus" / "alerts.yaml",
    OBSERVABILITY / "prometheus" / "kafka-alerts.yaml",
)
JMX_RULES = OBSERVABILITY / "kafka" / "jmx-exporter.yaml"
DASHBOARD = OBSERVABILITY / "grafana" / "dashboards" / "shopstream.json"
KAFKA_METRICS_CONFIGMAP = "kafka-metrics"
KAFKA_METRICS_KEY = "kafka-metrics-config.yml"
"""The ConfigMap and key that ``spec.kafka.metricsConfig`` of base/kafka.yaml names."""
STRIMZI_METRICS_PORT = "tcp-prometheus"
"""The container port on which Strimzi's brokers and Kafka Exporter answer ``/metrics``."""
SCRAPED_COMPONENTS = ("http-api", "processor")
LABELS = {"app.kubernetes.io/part-of": "shopstream", "app.kubernetes.io/component": "monitoring"}


def _metadata(name: str, **extra_labels: str) -> dict[str, Any]:
    return {"name": name, "labels": {**LABELS, **extra_labels}}


def services_pod_monitor() -> dict[str, Any]:
    """Scrape ``/metrics`` of every service pod, job = the service's name, plus pod and namespace."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": _metadata("shopstream-services"),
        "spec": {
            "jobLabel": "app.kubernetes.io/name",
            "selector": {
                "matchExpressions": [
                    {
                        "key": "app.kubernetes.io/component",
                        "operator": "In",
                        "values": list(SCRAPED_COMPONENTS),
                    }
                ],
                "matchLabels": {"app.kubernetes.io/part-of": "shopstream"},
            },
            "podMetricsEndpoints": [{"port": "http", "path": "/metrics", "interval": "15s"}],
        },
    }


def kafka_pod_monitor(cluster: str) -> dict[str, Any]:
    """Scrape the brokers' JMX exporter and Kafka Exporter of the Strimzi cluster ``cluster``."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": _metadata(f"{cluster}-kafka"),
        "spec": {
            "selector": {"matchLabels": {"strimzi.io/cluster": cluster, "strimzi.io/kind": "Kafka"}},
            "podMetricsEndpoints": [
                {
                    "port": STRIMZI_METRICS_PORT,
                    "path": "/metrics",
                    "interval": "30s",
                    # the broker's pod name, as kafka-alerts.yaml and the dashboard group by it
                    "relabelings": [{"sourceLabels": ["__meta_kubernetes_pod_name"], "targetLabel": "pod"}],
                }
            ],
        },
    }


def prometheus_rule(path: Path) -> dict[str, Any]:
    """A rule file of ``infra/observability/prometheus`` as a ``PrometheusRule`` of the same name."""
    groups = yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": _metadata(f"shopstream-{path.stem}"),
        "spec": {"groups": groups},
    }


def kafka_metrics_configmap() -> dict[str, Any]:
    """The JMX exporter rules of the brokers, under the name and key base/kafka.yaml references."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(KAFKA_METRICS_CONFIGMAP),
        "data": {KAFKA_METRICS_KEY: JMX_RULES.read_text(encoding="utf-8")},
    }


def dashboard_configmap() -> dict[str, Any]:
    """The Grafana dashboard, labelled for Grafana's dashboard sidecar."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata("shopstream-dashboard", grafana_dashboard="1"),
        "data": {DASHBOARD.name: DASHBOARD.read_text(encoding="utf-8")},
    }


def monitoring_objects(cluster: str) -> list[dict[str, Any]]:
    """Every monitoring object of the base, for the Strimzi cluster ``cluster``."""
    return [
        services_pod_monitor(),
        kafka_pod_monitor(cluster),
        *(prometheus_rule(path) for path in RULE_FILES),
        kafka_metrics_configmap(),
        dashboard_configmap(),
    ]
