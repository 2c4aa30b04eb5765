"""bench.steady's arithmetic: JmxTool's report parsed; requests and CPU per order decided in their window."""

from __future__ import annotations

import pytest

from bench.steady import BROKER, LOAD, Window, figures_of, outcome, parse_requests

JMX_CSV = """time,"1795939120986"
kafka.network:type=RequestMetrics,name=RequestsPerSec,request=Fetch,version=17:Count,"1200"
kafka.network:type=RequestMetrics,name=RequestsPerSec,request=FetchConsumer,version=17:Count,"1200"
kafka.network:type=RequestMetrics,name=RequestsPerSec,request=Produce,version=9:Count,"700"
kafka.network:type=RequestMetrics,name=RequestsPerSec,request=Produce,version=11:Count,"300"
kafka.network:type=RequestMetrics,name=RequestsPerSec,request=BrokerHeartbeat,version=1:Count,"7"
"""

OFFERED = {
    "sent": 300,
    "skipped": 0,
    "validated": 300,
    "unanswered": 0,
    "p50_ms": 40.0,
    "p95_ms": 70.0,
    "p99_ms": 90.0,
}


def test_jmxtool_report_sums_versions_per_request_type() -> None:
    read_at, counts = parse_requests(JMX_CSV)
    assert read_at == 1795939120986
    assert counts == {"Fetch": 1200, "FetchConsumer": 1200, "Produce": 1000, "BrokerHeartbeat": 7}


def test_a_report_without_counts_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="no request counts"):
        parse_requests("Trying to connect to JMX url\n")


def _window() -> Window:
    return Window(
        requests_from_ms=1_000,
        requests_to_ms=13_000,  # 12 s: 240 orders at 20/s
        requests={"Fetch": 2_400, "Produce": 2_400, "Heartbeat": 0},
        cpu_from_ms=2_000,
        cpu_to_ms=12_000,  # 10 s: 200 orders
        cpu_s={"orders": 1.0, BROKER: 3.0, LOAD: 0.5},
        machine_busy_s=10.0,
        loadavg_1m=3.5,
    )


def test_requests_and_cpu_are_divided_by_the_orders_decided_in_their_own_window() -> None:
    decided = [500 + 50 * i for i in range(400)]  # 20 orders/s from 0.5 s to 20.45 s
    result = outcome(20.0, OFFERED, _window(), decided)
    assert result["requests_window_orders"] == 240
    assert result["requests_per_order"] == 20.0
    assert result["requests_per_order_by_type"] == {"Fetch": 10.0, "Produce": 10.0}
    assert result["cpu_window_orders"] == 200
    assert result["cpu_ms_per_order"] == 20.0  # orders 5 ms + broker 15 ms; the load generator is apart
    assert result["cpu_ms_per_order_by_process"][LOAD] == 2.5
    assert result["decided_per_s"] == 20.0 and result["steady"]
    assert (result["ours_cores"], result["other_cores"], result["loadavg_1m"]) == (0.4, 0.55, 3.5)


def test_a_saturated_run_is_not_steady() -> None:
    decided = [500 + 100 * i for i in range(200)]  # 10 orders/s decided while 20/s are offered
    assert not outcome(20.0, OFFERED, _window(), decided)["steady"]
    assert not outcome(20.0, {**OFFERED, "skipped": 3}, _window(), [500 + 50 * i for i in range(400)])[
        "steady"
    ]


def test_figures_carry_medians_and_breakdowns() -> None:
    decided = [500 + 50 * i for i in range(400)]
    results = [outcome(20.0, OFFERED, _window(), decided) for _ in range(3)]
    figures = {f["unit"]: f for f in figures_of(20.0, results)}
    assert figures["requests/order"]["value"] == 20.0
    assert figures["requests/order"]["breakdown"] == {"Fetch": 10.0, "Produce": 10.0}
    assert list(figures["CPU ms/order"]["breakdown"]) == [BROKER, "orders", LOAD]  # largest first
    assert figures["orders/s"]["runs"] == [20.0, 20.0, 20.0]


def test_the_report_lists_breakdowns_under_the_table() -> None:
    from bench.report import markdown

    figure = {
        "name": "cpu",
        "value": 20.0,
        "unit": "CPU ms/order",
        "runs": [20.0],
        "breakdown": {"broker": 15.0},
    }
    table = markdown({}, [figure])
    assert "| cpu | 20.0 | CPU ms/order |" in table
    assert "- cpu (CPU ms/order): broker 15.0" in table


def test_the_report_holds_figures_to_the_targets_of_their_issues() -> None:
    from bench.report import targets

    figures = [
        {"name": "lifecycle CREATED→VALIDATED, every service, 20,000-order backlog", "value": 120.0},
        {"name": "steady 100 orders/s offered: Kafka requests per order, all clients", "value": 9.5},
        {
            "name": "one hop: consume → decode → check → encode → produce, our Faust processor (after), "
            "20,000 OrderPlaced records",
            "value": 9000.0,
            "ratio": 0.6,
        },
        {
            "name": "query GET /v1/orders/{id}, 32 connections, 1 uvicorn worker",
            "value": 5000.0,
            "ratio": 0.71,
        },
        {
            "name": "ingestion POST /v1/orders, 32 connections, 2 uvicorn workers: accepted orders/s",
            "value": 4100.0,
            "ratio": 0.5,
        },
        {"name": "ingestion POST /v1/orders, 32 connections, 2 uvicorn workers: latency p99", "value": 31.0},
        {  # a ratio target whose anchor was not measured is left out, not judged on the raw value
            "name": "ingestion POST /v1/orders:batch of 500, 8 connections, 2 uvicorn workers: accepted",
            "value": 70000.0,
            "ratio": None,
        },
    ]
    assert targets(figures) == [
        "| target | issue | before | target | measured | met |",
        "|---|---|---|---|---|---|",
        "| backlog drained CREATED→VALIDATED (orders/s) | 12 | 25 | ≥ 500 | 120.0 | no |",
        "| Kafka requests per order, steady 100/s | 12 | ~50 | ≤ 10 | 9.5 | yes |",
        "| one hop, our processor against Quix Streams | 12 | 0.13 | ≥ 1 | 0.6 | no |",
        "| GET /v1/orders/{id} against the same process's /healthz | 14 | 0.24 | ≥ 0.7 | 0.71 | yes |",
        "| POST /v1/orders, 32 connections, 2 uvicorn workers (orders/s) | 14 | ~565 | ≥ 3000 | 4,100.0 "
        "| yes |",
        "| POST /v1/orders, 32 connections, 2 uvicorn workers: p99 (ms) | 14 | 212 | ≤ 25 | 31.0 | no |",
        "",
    ]
    assert targets([{"name": "serde", "value": 1.0}]) == []  # no target measured: no table
