"""The rebuild's plan: where each offset goes, what is deleted, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.__main__ import main
from ops.rebuild_plan import (
    PROCESSORS,
    TP,
    Move,
    Plan,
    changelog_topics,
    group_id,
    refusal,
    store_dirs,
    to_earliest,
    to_time,
)

LINES, ORDERS = TP("p.shopstream-inventory-lines", 0), TP("p.orders", 3)
NOW = 1_800_000_000_000


def test_the_processors_are_the_six_of_infra_services() -> None:
    assert PROCESSORS == ("orders", "order-details", "inventory", "fraud", "notifications", "analytics")
    assert group_id("p.", "inventory") == "p.shopstream-inventory"


def test_from_the_earliest_offsets_every_partition_goes_back_to_its_log_start() -> None:
    moves = to_earliest({ORDERS: 40, LINES: 12}, {ORDERS: 0, LINES: 5, TP("x", 0): 9})
    assert moves == [Move(ORDERS.topic, 3, 40, 0), Move(LINES.topic, 0, 12, 5)]  # by topic, partition
    assert [m.replayed for m in moves] == [40, 7]


def test_from_a_time_offsets_go_back_never_forward_and_stay_without_newer_records() -> None:
    moves = to_time({ORDERS: 40, LINES: 12, TP("p.inventory-levels", 1): 7}, {ORDERS: 31, LINES: 20})
    assert moves == [
        Move("p.inventory-levels", 1, 7, 7),  # no record that recent
        Move(ORDERS.topic, 3, 40, 31),
        Move(LINES.topic, 0, 12, 12),  # its first record since then is not processed yet: not skipped
    ]


def test_a_plan_from_the_earliest_offsets_warns_of_partitions_retention_shortened() -> None:
    moves = (Move("a", 0, 9, 0), Move("a", 1, 9, 4))
    assert Plan("inventory", "g", None, moves, (), ()).truncated == (moves[1],)
    assert Plan("inventory", "g", NOW, moves, (), ()).truncated == ()


def test_the_changelogs_are_the_apps_own_changelog_topics() -> None:
    topics = [
        "p.shopstream-inventory-stock-changelog",
        "p.shopstream-inventory-lines",
        "p.shopstream-inventory-answers-changelog",
        "p.shopstream-inventory-extra-stock-changelog",
        "p.shopstream-fraud-recent-changelog",
        "q.shopstream-inventory-stock-changelog",
        "p.inventory",
    ]
    assert changelog_topics(topics, "p.shopstream-inventory") == [
        "p.shopstream-inventory-answers-changelog",
        "p.shopstream-inventory-extra-stock-changelog",
        "p.shopstream-inventory-stock-changelog",
    ]


def test_the_stores_are_the_services_worker_folders_holding_faust_data(tmp_path: Path) -> None:
    for name in (
        "p.inventory-8103",
        "p.inventory-20411",
        "p.inventory-x",
        "q.inventory-8103",
        "p.orders-8101",
    ):
        (tmp_path / name / "v1" / "tables").mkdir(parents=True)
    (tmp_path / "p.inventory-9000").mkdir()  # no Faust data in it: not a worker's folder
    found = store_dirs(tmp_path, "p.", "inventory")
    assert found == [tmp_path / "p.inventory-20411", tmp_path / "p.inventory-8103"]
    assert store_dirs(tmp_path / "missing", "p.", "inventory") == []


def test_a_running_processor_is_refused() -> None:
    reason = refusal("inventory", "g", ["faust-0.15.3", "faust-0.15.3"], {ORDERS: 1}, None, NOW)
    assert reason == "group g has 2 member(s) (faust-0.15.3, faust-0.15.3): stop every inventory worker first"


def test_a_group_without_offsets_is_refused() -> None:
    assert refusal("fraud", "g", [], {}, None, NOW) == (
        "group g has no committed offsets: fraud never ran here (check KAFKA_TOPIC_PREFIX)"
    )


def test_orders_is_refused_from_the_earliest_offsets_and_allowed_from_a_time() -> None:
    assert refusal("orders", "g", [], {ORDERS: 1}, None, NOW) == (
        "orders keeps its table in orders, a topic every other service reads: it cannot be emptied, "
        "so rebuild from a time (--to-datetime) instead"
    )
    assert refusal("orders", "g", [], {ORDERS: 1}, NOW - 1, NOW) is None


def test_a_time_in_the_future_is_refused() -> None:
    assert refusal("inventory", "g", [], {ORDERS: 1}, NOW + 1, NOW) == (
        "the time is in the future: there is nothing after it to process again"
    )
    assert refusal("inventory", "g", [], {ORDERS: 1}, NOW, NOW) is None


@pytest.mark.parametrize(
    "argv",
    [
        ["rebuild", "shipping", "--to-earliest"],  # not a processor
        ["rebuild", "inventory"],  # no point
        ["rebuild", "inventory", "--to-earliest", "--to-datetime", "2h"],  # two points
    ],
)
def test_the_command_line_refuses_before_reaching_kafka(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "usage: python -m ops rebuild" in capsys.readouterr().err


def test_a_time_it_cannot_read_is_refused_before_reaching_kafka(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rebuild", "inventory", "--to-datetime", "yesterday"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err == "refused: not a time: 'yesterday' (ISO-8601 such as 2026-12-07T10:00, or 30m, 2h, 7d)"
