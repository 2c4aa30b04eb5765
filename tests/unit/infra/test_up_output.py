"""What ``make up`` prints, line for line: steps, readiness, the table of URLs, the processes' lines."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest

from consumers.query_api.routes.dashboard import router as dashboard_router
from infra import up
from infra.services import SERVICES
from infra.up_output import (
    DASHBOARD,
    LogLinePrinter,
    StepPrinter,
    format_log_line,
    format_step,
    format_table,
    url_rows,
)

REGISTRY = "http://127.0.0.1:8081/apis/ccompat/v7"


def test_step_line_is_name_padded_then_seconds_then_detail() -> None:
    assert format_step("kafka", 9.84, "127.0.0.1:9092", width=13) == "kafka            9.8 s  127.0.0.1:9092"
    assert format_step("order-details", 123.45, "ready", width=13) == "order-details  123.5 s  ready"
    assert format_step("topics", 0.04, width=8) == "topics      0.0 s"


def test_table_aligns_urls_two_spaces_after_the_longest_name() -> None:
    table = format_table(
        [("dashboard", "http://127.0.0.1:8001/"), ("order-details", "http://127.0.0.1:8102/metrics")]
    )
    assert table.split("\n") == [
        "dashboard      http://127.0.0.1:8001/",
        "order-details  http://127.0.0.1:8102/metrics",
    ]
    assert format_table([]) == ""


def test_url_rows_give_dashboard_docs_metrics_kafka_and_registry() -> None:
    assert url_rows(SERVICES, {}, "127.0.0.1:9092", REGISTRY) == [
        ("dashboard", "http://127.0.0.1:8001/"),
        ("ingest-api", "http://127.0.0.1:8000/docs"),
        ("query-api", "http://127.0.0.1:8001/docs"),
        ("orders", "http://127.0.0.1:8101/metrics"),
        ("order-details", "http://127.0.0.1:8102/metrics"),
        ("inventory", "http://127.0.0.1:8103/metrics"),
        ("fraud", "http://127.0.0.1:8104/metrics"),
        ("notifications", "http://127.0.0.1:8105/metrics"),
        ("analytics", "http://127.0.0.1:8106/metrics"),
        ("kafka", "127.0.0.1:9092"),
        ("registry", REGISTRY),
    ]


def test_url_rows_follow_the_ports_the_services_read() -> None:
    rows = dict(url_rows(SERVICES, {"QUERY_PORT": "9001", "FRAUD_WEB_PORT": "9104"}, "k:1", REGISTRY))
    assert rows["dashboard"] == "http://127.0.0.1:9001/"
    assert rows["query-api"] == "http://127.0.0.1:9001/docs"
    assert rows["fraud"] == "http://127.0.0.1:9104/metrics"


def test_dashboard_is_the_page_query_api_serves() -> None:
    service, page = DASHBOARD
    assert next(s.module for s in SERVICES if s.name == service) == "consumers.query_api"
    assert page in {getattr(route, "path", None) for route in dashboard_router.routes}


def test_readiness_urls_are_each_services_readyz() -> None:
    assert [s.ready_url({"ORDERS_WEB_PORT": "9101"}) for s in SERVICES[:3]] == [
        "http://127.0.0.1:8000/readyz",
        "http://127.0.0.1:8001/readyz",
        "http://127.0.0.1:9101/readyz",
    ]


# writing ----------------------------------------------------------------------------------------


class Pipe:
    """A pipe whose written end a StepPrinter writes to; ``read`` takes what was written."""

    def __init__(self) -> None:
        self.reader, self.writer = os.pipe()

    def read(self) -> str:
        """Everything written so far (the writer is closed)."""
        os.close(self.writer)
        with os.fdopen(self.reader, encoding="utf-8", newline="") as stream:
            return stream.read()


@pytest.fixture
def pipe() -> Iterator[Pipe]:
    """A fresh pipe, closed after the test."""
    made = Pipe()
    yield made
    for fd in (made.reader, made.writer):
        try:
            os.close(fd)
        except OSError:
            pass  # already closed by read()


def ticks(*values: float) -> Callable[[], float]:
    """A clock answering ``values`` in turn."""
    answers = iter(values)
    return lambda: next(answers)


def test_step_printer_prints_a_completed_step_with_its_time(pipe: Pipe) -> None:
    out = StepPrinter(pipe.writer, width=8, live=False, clock=ticks(10.0, 19.84))
    with out.step("kafka") as step:
        step.detail = "127.0.0.1:9092"
    assert pipe.read() == "kafka       9.8 s  127.0.0.1:9092\n"


def test_step_printer_on_a_terminal_shows_the_step_pending_then_replaces_it(pipe: Pipe) -> None:
    out = StepPrinter(pipe.writer, width=8, live=True, clock=ticks(0.0, 1.25))
    with out.step("topics") as step:
        step.detail = "17 topics, 0 created"
    assert pipe.read() == "topics    ...\rtopics      1.2 s  17 topics, 0 created\n"


def test_step_printer_ends_the_pending_line_when_the_step_fails(pipe: Pipe) -> None:
    out = StepPrinter(pipe.writer, width=5, live=True, clock=ticks(0.0))
    with pytest.raises(RuntimeError, match="no java"), out.step("kafka"):
        raise RuntimeError("no java")
    assert pipe.read() == "kafka  ...\n"


def test_readiness_prints_each_service_as_ready_then_the_table(
    pipe: Pipe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(up, "POLL_S", 0)
    ready = {"http://a/readyz": iter([False, True]), "http://b/readyz": iter([True])}
    out = StepPrinter(pipe.writer, width=1, live=False)
    up.report_readiness(
        out,
        {"a": "http://a/readyz", "b": "http://b/readyz"},
        [("a", "http://a/docs")],
        threading.Event(),
        ready=lambda url: next(ready[url]),
        clock=ticks(0.0, 1.5, 2.0, 3.0, 4.25),
    )
    assert pipe.read().split("\n") == [
        "b    1.5 s  ready",
        "a    3.0 s  ready",
        "",
        "a  http://a/docs",
        "Ctrl-C stops everything.",
        "",
    ]


def test_readiness_gives_up_after_the_time_out_and_still_prints_the_table(
    pipe: Pipe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(up, "POLL_S", 0)
    monkeypatch.setattr(up, "READY_TIMEOUT_S", 120.0)
    out = StepPrinter(pipe.writer, width=1, live=False)
    up.report_readiness(
        out,
        {"a": "http://a/readyz"},
        [("a", "http://a/docs")],
        threading.Event(),
        ready=lambda url: False,
        clock=ticks(0.0, 120.5, 120.5),
    )
    assert pipe.read() == (
        "a  120.5 s  NOT READY: http://a/readyz (its log lines say why)\n"
        "\n"
        "a  http://a/docs\n"
        "Ctrl-C stops everything.\n"
    )


def test_readiness_prints_nothing_once_the_services_are_stopping(pipe: Pipe) -> None:
    stopped = threading.Event()
    stopped.set()
    out = StepPrinter(pipe.writer, width=1, live=False)
    up.report_readiness(out, {"a": "http://a/readyz"}, [("a", "x")], stopped, ready=lambda url: True)
    assert pipe.read() == ""


# the processes' lines -----------------------------------------------------------------------------


def test_console_log_lines_are_printed_as_they_are() -> None:
    line = "09:05:07.123 orders        INFO    order o1 placed offset=41"
    assert format_log_line("orders", line, width=9, time="09:05:08") == line


def test_other_lines_get_the_time_and_the_name() -> None:
    assert format_log_line("orders", "Traceback (most recent call last):", 9, "09:05:07") == (
        "09:05:07 orders    | Traceback (most recent call last):"
    )
    assert format_log_line("simulator", "sent=5 accepted=5", 9, "09:05:07") == (
        "09:05:07 simulator | sent=5 accepted=5"
    )


def test_log_line_printer_writes_whole_lines_with_supervisords_time_or_its_clock() -> None:
    written: list[str] = []
    printer = LogLinePrinter(written.append, width=10, clock=lambda: datetime(2026, 11, 30, 9, 5, 7))
    printer.line("orders", "Traceback (most recent call last):\r\n")
    printer.line("supervisor", "spawned: 'orders' with pid 4242", time="09:05:06")
    printer.line("orders", "09:05:07.123 orders        INFO    order o1 placed offset=41\n")
    assert written == [
        "09:05:07 orders     | Traceback (most recent call last):\n",
        "09:05:06 supervisor | spawned: 'orders' with pid 4242\n",
        "09:05:07.123 orders        INFO    order o1 placed offset=41\n",
    ]
