"""bench.scale_out's arithmetic: the rate from the outputs' timestamps, the group settled, metrics summed."""

from __future__ import annotations

import pytest

from bench.scale_out import Outputs, metric_total, settled

METRICS = """# HELP shopstream_events_published_total Records acknowledged by Kafka
# TYPE shopstream_events_published_total counter
shopstream_events_published_total{service="bench-scale-1",topic="p.order-validations"} 1200.0
shopstream_events_published_total{service="bench-scale-1",topic="p.dead-letters"} 3.0
# HELP shopstream_events_published_created Records acknowledged by Kafka
# TYPE shopstream_events_published_created gauge
shopstream_events_published_created{service="bench-scale-1",topic="p.order-validations"} 1.7e9
# HELP shopstream_rebalances_total Consumer group rebalances
# TYPE shopstream_rebalances_total counter
shopstream_rebalances_total{service="bench-scale-1"} 2.0
"""


def test_rate_is_distinct_keys_over_first_to_last_new_key_whatever_the_order_read() -> None:
    outputs = Outputs(expected=4)
    for key, ts in [("a-2", 3_000), ("a-0", 1_000), ("a-3", 3_500), ("a-1", 2_000)]:
        outputs.add(key, ts)
    assert outputs.complete
    assert outputs.records == 4
    assert (outputs.first_ms, outputs.last_ms) == (1_000, 3_500)
    assert outputs.seconds == 2.5
    assert outputs.rate() == 4 / 2.5


def test_a_key_written_again_counts_as_an_output_but_neither_as_a_key_nor_as_the_end() -> None:
    outputs = Outputs(expected=3)
    for key, ts in [("a-0", 1_000), ("a-1", 2_000), ("a-0", 9_000)]:
        outputs.add(key, ts)
    assert not outputs.complete
    assert (outputs.records, len(outputs.keys)) == (3, 2)
    assert outputs.last_ms == 2_000
    outputs.add("a-2", 3_000)
    assert outputs.complete
    assert outputs.rate() == 3 / 2.0


def test_no_span_no_rate() -> None:
    assert Outputs(expected=1).rate() == 0.0
    alone = Outputs(expected=1)
    alone.add("a-0", 1_000)
    assert (alone.seconds, alone.rate()) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("state", "members", "workers", "expected"),
    [
        ("Stable", 2, 2, True),
        ("Stable", 1, 2, False),
        ("PreparingRebalance", 2, 2, False),
        ("CompletingRebalance", 2, 2, False),
        ("Stable", 2, 1, False),
        ("Dead", 0, 1, False),
    ],
)
def test_settled_only_when_stable_with_every_worker(
    state: str, members: int, workers: int, expected: bool
) -> None:
    described = {"state": state, "members": [{"member_id": f"m-{i}"} for i in range(members)]}
    assert settled(described, workers) is expected


def test_metric_total_sums_a_sample_over_its_labels() -> None:
    assert metric_total(METRICS, "shopstream_events_published_total") == 1203.0
    assert metric_total(METRICS, "shopstream_rebalances_total") == 2.0
    assert metric_total(METRICS, "shopstream_refetches_total") == 0.0
