"""infra/observability: the alert rules, their unit tests, the Compose Prometheus configuration and the
Grafana dashboard validate offline, and every query reads a metric that something exports."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

from infra.http import install_common
from infra.observability import validate
from infra.services import SERVICES

OBS = validate.OBSERVABILITY
DASHBOARD = OBS / "grafana" / "dashboards" / "shopstream.json"
JMX_RULES = OBS / "kafka" / "jmx-exporter.yaml"
# packages whose modules define the services' metrics (their __main__ modules start services: skipped)
METRIC_PACKAGES = ("infra", "producers", "consumers", "stream_processors")
# labels that Prometheus adds to every scraped series, or that a histogram's buckets carry
TARGET_LABELS = frozenset({"job", "instance", "namespace", "pod", "container", "endpoint", "le"})
# metrics that the services do not export, by where they come from
KAFKA_EXPORTER = {"kafka_consumergroup_lag": frozenset({"consumergroup", "topic", "partition"})}
PROMETHEUS: dict[str, frozenset[str]] = {"up": frozenset()}
# each broker metric the alerts or dashboard read: an MBean attribute the JMX exporter turns into it, and
# its labels (pod: the PodMonitor's relabeling)
BROKER_METRICS = {
    "kafka_server_replicamanager_underreplicatedpartitions": (
        "kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value",
        frozenset({"pod"}),
    ),
    "kafka_controller_kafkacontroller_offlinepartitionscount": (
        "kafka.controller<type=KafkaController, name=OfflinePartitionsCount><>Value",
        frozenset({"pod"}),
    ),
    "kafka_server_brokertopicmetrics_messagesinpersec_total": (
        "kafka.server<type=BrokerTopicMetrics, name=MessagesInPerSec, topic=orders><>Count",
        frozenset({"pod", "topic"}),
    ),
}


@pytest.fixture(scope="module")
def tools() -> None:
    """Skip, saying why, when ``make deploy-tools`` has not built promtool and observability-check."""
    for name in ("promtool", "observability-check"):
        try:
            validate.tool(name)
        except validate.ToolMissing as exc:
            pytest.skip(str(exc))


def _series(family_name: str, family_type: str) -> list[str]:
    """The series names a metric family of ``family_type`` exposes."""
    suffixes = {
        "counter": ["_total", "_created"],
        "histogram": ["_bucket", "_sum", "_count", "_created"],
        "summary": ["", "_sum", "_count", "_created"],
        "info": ["_info"],
    }.get(family_type, [""])
    return [family_name + suffix for suffix in suffixes]


@pytest.fixture(scope="module")
async def exported() -> dict[str, frozenset[str]]:
    """Every series name the services export → its label names, read from the metrics themselves."""
    for package in METRIC_PACKAGES:
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            if not module.name.endswith("__main__") and ".tests" not in module.name:
                importlib.import_module(module.name)
    # one request through the HTTP instrumentation every HTTP service installs: its series, labels and all
    app = FastAPI()

    async def ready() -> dict[str, bool]:
        return {}

    install_common(app, ready, max_body_bytes=1024)
    transport = httpx.ASGITransport(app=app)  # no lifespan: nothing started
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        assert (await client.get("/readyz")).status_code == 200
    labels: dict[str, frozenset[str]] = {}
    for family in REGISTRY.collect():
        for sample in family.samples:
            labels[sample.name] = frozenset(sample.labels) - {"le"}
    # a labelled metric no code path has used yet has no sample, and prometheus-fastapi-instrumentator
    # registers its metrics once per process (a later app in the same process, as the hostile tests
    # build at import, gets none): label names live in the metric objects only (no public accessor)
    registered = {
        id(c): c for c in REGISTRY._names_to_collectors.values() if isinstance(c, MetricWrapperBase)
    }
    for metric in registered.values():
        [family] = metric.describe()
        for series in _series(family.name, family.type):
            labels.setdefault(series, frozenset(metric._labelnames))
    return labels


@pytest.fixture(scope="module")
def queries(tools: None) -> list[validate.Query]:
    return validate.all_queries()


# --- the tools' verdicts ----------------------------------------------------------------------------


def test_rules_pass_promtool_check_rules_with_every_lint(tools: None) -> None:
    outcome = validate.check_rules()
    assert (outcome.returncode, outcome.output) == (
        0,
        "Checking alerts.yaml\n  SUCCESS: 6 rules found\n\n"
        "Checking kafka-alerts.yaml\n  SUCCESS: 3 rules found\n\n",
    )


def test_alerts_fire_when_and_as_their_unit_tests_say(tools: None) -> None:
    outcome = validate.run_rule_tests()
    assert (outcome.returncode, outcome.output) == (
        0,
        "Processing test file: alerts-test.yaml\n  SUCCESS\n\n",
    )


def test_every_alert_rule_has_a_unit_test() -> None:
    tests = yaml.safe_load(validate.RULE_TESTS.read_text(encoding="utf-8"))
    tested = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"]}
    alerts = {where.split(": ")[1] for path in validate.RULE_FILES for where, _ in validate.rule_exprs(path)}
    assert tested == alerts


def test_promtool_rejects_a_broken_rule(tools: None, tmp_path: Path) -> None:
    broken = yaml.safe_load(validate.RULE_FILES[0].read_text(encoding="utf-8"))
    rules = broken["groups"][0]["rules"]
    rules[0]["expr"] = "sum by (service) (rate(shopstream_events_consumed_total[5m])"
    rules[1]["annotations"]["summary"] = "{{ $labels.service "
    (tmp_path / "alerts.yaml").write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    outcome = validate.run("promtool", "check", "rules", "alerts.yaml", cwd=tmp_path)
    assert (outcome.returncode, outcome.output) == (
        1,
        "Checking alerts.yaml\n  FAILED:\n"
        'alerts.yaml: 5:11: group "shopstream", rule 1, "ShopStreamConsumerLagGrowing": '
        "could not parse expression: 1:61: parse error: unclosed left parenthesis\n"
        'alerts.yaml: group "shopstream", rule 2, "ShopStreamOldestUnprocessedRecordTooOld": '
        'annotation "summary": template: __alert_ShopStreamOldestUnprocessedRecordTooOld:1: '
        "unclosed action\n",
    )


def test_promtool_rejects_a_misplaced_field(tools: None, tmp_path: Path) -> None:
    broken = yaml.safe_load(validate.RULE_FILES[0].read_text(encoding="utf-8"))
    broken["groups"][0]["rules"][2]["severity"] = "warning"  # belongs under labels
    (tmp_path / "alerts.yaml").write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    outcome = validate.run("promtool", "check", "rules", "alerts.yaml", cwd=tmp_path)
    assert outcome.returncode == 1
    assert outcome.output.endswith(": field severity not found in type rulefmt.Rule\n")


def test_compose_prometheus_configuration_and_its_rules_pass_promtool(tools: None) -> None:
    outcome = validate.check_config()
    assert (outcome.returncode, outcome.output) == (
        0,
        "Checking prometheus.yml\n  SUCCESS: 1 rule files found\n"
        " SUCCESS: prometheus.yml is valid prometheus config file syntax\n\n"
        "Checking alerts.yaml\n  SUCCESS: 6 rules found\n\n",
    )


def test_dashboard_validates_against_grafanas_schema(tools: None) -> None:
    outcome = validate.check_dashboards()
    assert (outcome.returncode, outcome.output) == (
        0,
        'shopstream.json: valid dashboard "ShopStream services", 16 panels, 21 Prometheus queries\n',
    )


def test_the_dashboard_check_rejects_misspelt_and_mistyped_fields(tools: None, tmp_path: Path) -> None:
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panel = board["panels"][1]
    panel["gridPos"]["w"] = "half"
    panel["options"]["legend"]["placemnet"] = "right"
    panel["targets"][0]["exp"] = panel["targets"][0].pop("expr")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(board), encoding="utf-8")
    outcome = validate.check_dashboards((broken,))
    assert (outcome.returncode, outcome.output) == (
        1,
        "broken.json: panels[1].targets[0].expr: required field is missing from input\n"
        "panels[1].targets[0].Dataquery: unexpected field 'exp'\n"
        "panels[1].gridPos.w: json: cannot unmarshal string into Go value of type uint32\n"
        "panels[1].options.legend.VizLegendOptions: unexpected field 'placemnet'\n",
    )


def test_the_dashboard_check_rejects_a_query_of_another_data_source(tools: None, tmp_path: Path) -> None:
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    for target in board["panels"][1]["targets"]:
        target["datasource"] = {"type": "influxdb", "uid": "influx"}
    board["panels"][1]["datasource"] = {"type": "influxdb", "uid": "influx"}
    broken = tmp_path / "influx.json"
    broken.write_text(json.dumps(board), encoding="utf-8")
    outcome = validate.check_dashboards((broken,))
    assert (outcome.returncode, outcome.output) == (
        1,
        'influx.json: panel "Records consumed" target 0: not a Prometheus query\n',
    )


# --- what the queries read ---------------------------------------------------------------------------


def test_every_query_parses(queries: list[validate.Query]) -> None:
    assert [(q.where, q.error) for q in queries if q.error is not None] == []
    assert len(queries) == 9 + 21 + 1  # the alerts, the dashboard's queries and its variable


def test_every_query_reads_a_metric_something_exports(
    queries: list[validate.Query], exported: dict[str, frozenset[str]]
) -> None:
    known = {
        **exported,
        **KAFKA_EXPORTER,
        **PROMETHEUS,
        **{name: labels for name, (_, labels) in BROKER_METRICS.items()},
    }
    unknown = []
    for query in queries:
        for selector in query.selectors:
            if selector.name not in known:
                unknown.append(f"{query.where}: {selector.name}")
                continue
            labels = {label for label, _, _ in selector.matchers} - TARGET_LABELS
            if labels - known[selector.name]:
                unknown.append(
                    f"{query.where}: {selector.name} has no label {sorted(labels - known[selector.name])}"
                )
    assert unknown == []


def test_the_metric_check_would_catch_a_misspelt_metric(
    tools: None, exported: dict[str, frozenset[str]]
) -> None:
    [query] = validate.parse([("test", 'sum(rate(shopstream_event_consumed_total{servce="orders"}[5m]))')])
    [selector] = query.selectors
    assert selector == validate.Selector("shopstream_event_consumed_total", (("servce", "=", "orders"),))
    assert selector.name not in exported
    assert exported["shopstream_events_consumed_total"] == {"service", "topic"}


def test_every_service_metric_is_on_the_dashboard(
    queries: list[validate.Query], exported: dict[str, frozenset[str]]
) -> None:
    shown = {s.name for q in queries if q.where.startswith(DASHBOARD.name) for s in q.selectors}
    # a histogram is shown through its buckets
    ours = {
        n for n in exported if n.startswith("shopstream_") and not n.endswith(("_created", "_sum", "_count"))
    }
    assert ours - shown - {"shopstream_consumer_lag"} == set()


def test_every_alert_has_a_severity_a_summary_and_a_description() -> None:
    for path in validate.RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
                assert set(rule["annotations"]) == {"summary", "description"}, rule["alert"]


def test_the_scrape_alert_watches_every_service() -> None:
    rules = {where: expr for where, expr in validate.rule_exprs(validate.RULE_FILES[0])}
    [jobs] = re.findall(r'job=~"([^"]+)"', rules["alerts.yaml: ShopStreamTargetDown"])
    assert jobs.split("|") == [s.name for s in SERVICES]


def test_the_brokers_jmx_rules_export_what_the_alerts_read() -> None:
    config = yaml.safe_load(JMX_RULES.read_text(encoding="utf-8"))
    assert config["lowercaseOutputName"] is True
    for metric, (mbean, _) in BROKER_METRICS.items():
        names = []
        for rule in config["rules"]:
            match = re.fullmatch(rule["pattern"], mbean)
            if match:
                names.append(match.expand(rule["name"].replace("$", "\\")).lower())
        assert names[:1] == [metric], mbean  # the exporter applies the first rule that matches


# --- Compose wiring -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((OBS.parent / "compose" / "compose.yaml").read_text())
    return loaded


def test_compose_prometheus_scrapes_every_service_as_its_own_job() -> None:
    config = yaml.safe_load(validate.COMPOSE_CONFIG.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for service in SERVICES:
        job = jobs.pop(service.name)
        assert job["static_configs"] == [{"targets": [f"{service.name}:{service.default_port}"]}]
        assert job.get("metrics_path", "/metrics") == "/metrics"
    assert list(jobs) == ["prometheus"]
    assert config["rule_files"] == ["alerts.yaml"]


def test_compose_runs_prometheus_and_grafana_from_these_files(compose: dict[str, Any]) -> None:
    prometheus, grafana = compose["services"]["prometheus"], compose["services"]["grafana"]
    assert "../observability/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    assert prometheus["ports"] == ["9090:9090"]
    assert grafana["ports"] == ["3000:3000"]
    mounts = dict(volume.rsplit(":", 1)[0].split(":", 1) for volume in grafana["volumes"] if ":ro" in volume)
    assert mounts == {
        "../observability/grafana/provisioning": "/etc/grafana/provisioning",
        "../observability/grafana/dashboards": "/var/lib/grafana/dashboards",
    }
    provisioning = OBS / "grafana" / "provisioning"
    [source] = yaml.safe_load((provisioning / "datasources" / "prometheus.yaml").read_text())["datasources"]
    assert (source["type"], source["url"]) == ("prometheus", "http://prometheus:9090")
    [provider] = yaml.safe_load((provisioning / "dashboards" / "shopstream.yaml").read_text())["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    assert grafana["depends_on"] == {"prometheus": {"condition": "service_healthy"}}


def test_the_dashboards_data_source_variable_finds_the_provisioned_one() -> None:
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    [variable] = [v for v in board["templating"]["list"] if v["type"] == "datasource"]
    assert (variable["name"], variable["query"]) == ("datasource", "prometheus")
    uids = {t["datasource"]["uid"] for p in validate.panels(board) for t in p.get("targets", [])}
    assert uids == {"${datasource}"}
