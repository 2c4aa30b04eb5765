"""Lag and age from the offset ledger, the gauges a worker exports, and its monitor's two series.

No broker: the arithmetic (``backlog``), the ledger's head, the exporter's series bookkeeping and
the monitor's reaction to Faust's sensor calls. Where the end offsets and unfetched heads come from
Kafka is integration-tested (``tests/integration/stream_processors/test_lag.py``).
"""

from __future__ import annotations

import uuid

import faust
from faust.types import TP
from prometheus_client import REGISTRY

from infra.settings import KafkaSettings
from stream_processors.common.app import App
from stream_processors.common.backlog import BacklogExporter, backlog
from stream_processors.common.heads import HeadReader
from stream_processors.common.ledger import OffsetLedger
from stream_processors.common.sensors import ProcessorMonitor

NOW = 1_700_000_000_000  # epoch ms
P0, P1 = TP("t.orders", 0), TP("t.orders", 1)


def test_a_caught_up_partition_has_no_lag_and_age_zero() -> None:
    assert backlog(end=42, position=42, head_ms=None, now=NOW) == (0, 0.0)
    assert backlog(end=0, position=0, head_ms=None, now=NOW) == (0, 0.0)


def test_lag_is_end_minus_position_and_age_is_now_minus_the_heads_timestamp() -> None:
    assert backlog(end=50, position=42, head_ms=NOW - 90_500, now=NOW) == (8, 90.5)


def test_the_age_of_a_partition_behind_whose_head_is_unknown_is_unknown() -> None:
    assert backlog(end=50, position=42, head_ms=None, now=NOW) == (8, None)


def test_an_end_listed_before_the_latest_records_were_processed_is_no_negative_lag() -> None:
    assert backlog(end=40, position=42, head_ms=NOW - 5_000, now=NOW) == (0, 0.0)


def test_a_head_stamped_by_a_clock_ahead_of_ours_is_age_zero() -> None:
    assert backlog(end=43, position=42, head_ms=NOW + 3_000, now=NOW) == (1, 0.0)


def test_the_ledgers_head_is_the_commit_point_and_the_timestamp_of_its_record_if_handed_out() -> None:
    ledger: OffsetLedger[TP] = OffsetLedger()
    ledger.assign(P0, 10, gapless=True)
    assert ledger.head(P0) == (10, None)  # nothing fetched yet
    ledger.handed_out(P0, 10, NOW - 2_000)
    ledger.handed_out(P0, 11, NOW - 1_000)
    assert ledger.head(P0) == (10, NOW - 2_000)
    ledger.done(P0, 11)  # processed out of order: 10 still holds the commit point
    assert ledger.head(P0) == (10, NOW - 2_000)
    ledger.done(P0, 10)
    assert ledger.head(P0) == (12, None)  # 12 was not handed out yet
    assert ledger.head(P1) is None  # not assigned


def exporter() -> BacklogExporter:
    app = App(f"backlog-{uuid.uuid4().hex[:8]}", broker="kafka://127.0.0.1:1", store="memory://")
    return BacklogExporter(app, "svc-" + uuid.uuid4().hex[:8], HeadReader(KafkaSettings(), 2.0), interval_s=5)


def sample(name: str, service: str, tp: TP) -> float | None:
    labels = {"service": service, "topic": tp.topic, "partition": str(tp.partition)}
    return REGISTRY.get_sample_value(name, labels)


LAG = "shopstream_consumer_lag_records"
AGE = "shopstream_consumer_oldest_unprocessed_age_seconds"


def test_the_exporter_sets_lag_and_age_of_each_assigned_partition() -> None:
    backlog_exporter = exporter()
    ledger: OffsetLedger[TP] = OffsetLedger()
    ledger.assign(P0, 10, gapless=True)
    ledger.handed_out(P0, 10, NOW - 60_000)
    ledger.assign(P1, 7, gapless=True)  # its next record not fetched: the head reader read it
    backlog_exporter.export(ledger, {P0, P1}, {P0: 15, P1: 9}, {P1: (7, NOW - 4_000)}, NOW)
    service = backlog_exporter._service
    assert [sample(LAG, service, tp) for tp in (P0, P1)] == [5.0, 2.0]
    assert [sample(AGE, service, tp) for tp in (P0, P1)] == [60.0, 4.0]


def test_a_head_read_for_an_older_position_is_not_taken_for_the_current_one() -> None:
    backlog_exporter = exporter()
    ledger: OffsetLedger[TP] = OffsetLedger()
    ledger.assign(P0, 8, gapless=True)  # the reader read offset 7: the worker has moved on since
    backlog_exporter.export(ledger, {P0}, {P0: 9}, {P0: (7, NOW - 4_000)}, NOW)
    assert sample(LAG, backlog_exporter._service, P0) == 1.0
    assert sample(AGE, backlog_exporter._service, P0) is None


def test_series_of_a_partition_no_longer_assigned_are_removed() -> None:
    backlog_exporter = exporter()
    service = backlog_exporter._service
    ledger: OffsetLedger[TP] = OffsetLedger()
    for tp in (P0, P1):
        ledger.assign(tp, 0, gapless=True)
    backlog_exporter.export(ledger, {P0, P1}, {P0: 0, P1: 0}, {}, NOW)
    assert [sample(AGE, service, tp) for tp in (P0, P1)] == [0.0, 0.0]

    ledger.revoke([P1])  # the next assignment: P1 went to another worker
    backlog_exporter.export(ledger, {P0}, {P0: 3}, {}, NOW)
    assert (sample(LAG, service, P0), sample(LAG, service, P1)) == (3.0, None)
    # P0's head is unknown now (not handed out, not read): its age keeps its last value
    assert (sample(AGE, service, P0), sample(AGE, service, P1)) == (0.0, None)

    backlog_exporter.forget_all_but(set())  # a rebalance assigned nothing
    assert (sample(LAG, service, P0), sample(AGE, service, P0)) == (None, None)


def monitored() -> tuple[ProcessorMonitor, faust.App, str]:
    app = App(f"monitor-{uuid.uuid4().hex[:8]}", broker="kafka://127.0.0.1:1", store="memory://")
    app.service_name = "svc-" + uuid.uuid4().hex[:8]
    return ProcessorMonitor(), app, app.service_name


def test_a_commit_that_sent_offsets_is_timed_and_an_empty_commit_round_is_not() -> None:
    monitor, app, service = monitored()
    state = monitor.on_commit_initiated(app.consumer)
    monitor.on_commit_completed(app.consumer, state)  # no offset moved: nothing sent
    count = "shopstream_commit_latency_seconds_count"
    assert REGISTRY.get_sample_value(count, {"service": service}) is None

    state = monitor.on_commit_initiated(app.consumer)
    monitor.on_tp_commit({P0: 11})
    monitor.on_commit_completed(app.consumer, state)
    assert REGISTRY.get_sample_value(count, {"service": service}) == 1.0


def test_each_rebalance_is_counted() -> None:
    monitor, app, service = monitored()
    for _ in range(2):
        monitor.on_rebalance_start(app)
    assert REGISTRY.get_sample_value("shopstream_rebalances_total", {"service": service}) == 2.0
