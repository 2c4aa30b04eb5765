"""Dashboards and alerts as code: Grafana dashboards, Prometheus rules and configuration, checked offline.

``prometheus/`` holds the alert rules (``alerts.yaml`` on the services' metrics, ``kafka-alerts.yaml``
on the brokers' for Kubernetes), their unit tests and the Compose Prometheus configuration;
``grafana/`` the dashboard and Compose provisioning; ``kafka/`` the brokers' JMX exporter rules.
``python -m infra.observability`` runs every check (:mod:`infra.observability.validate`).
"""
