"""query-api's dead letters: newest first, filtered, paged by cursor, bounded, marked re-driven."""

from __future__ import annotations

import dataclasses

from aiokafka import ConsumerRecord

from consumers.query_api.projections.dead_letters import DeadLetterViews, RedriveViews
from schemas.dead_letters import DeadLetterView, headers_of

PREFIX = "p."


def record(
    partition: int, offset: int, timestamp: int, service: str, kind: str, topic: str
) -> ConsumerRecord:
    """A dead letter as the materializer reads it."""
    headers = headers_of([], PREFIX + topic, 0, offset, service, kind, "why")
    return ConsumerRecord(
        topic=PREFIX + "dead-letters",
        partition=partition,
        offset=offset,
        timestamp=timestamp,
        timestamp_type=0,
        key=f"k-{offset}".encode(),
        value=b"v",
        checksum=None,
        serialized_key_size=3,
        serialized_value_size=1,
        headers=tuple(headers),
    )


def ids(page: list[DeadLetterView]) -> list[str]:
    return [letter["id"] for letter in page]


def test_newest_first_filtered_and_paged() -> None:
    views = DeadLetterViews(PREFIX, kept=100)
    views.apply_raw(record(0, 0, 1000, "orders", "unmatched", "payments"))
    views.apply_raw(record(1, 0, 3000, "inventory", "decode", "order-requests"))
    views.apply_raw(record(0, 1, 2000, "orders", "apply", "order-actions"))
    views.apply_raw(record(0, 1, 2000, "orders", "apply", "order-actions"))  # read twice: kept once
    assert len(views) == 3
    page, after = views.page(None, None, None, 2, None)
    assert (ids(page), after) == (["1-0", "0-1"], (2000, 0, 1))
    rest, end = views.page(None, None, None, 2, after)
    assert (ids(rest), end) == (["0-0"], None)
    assert ids(views.page("orders", None, None, 10, None)[0]) == ["0-1", "0-0"]
    assert ids(views.page(None, "payments", None, 10, None)[0]) == ["0-0"]
    assert ids(views.page(None, "p.payments", "unmatched", 10, None)[0]) == ["0-0"]
    assert ids(views.page(None, None, "partition", 10, None)[0]) == []


def test_only_the_newest_are_kept() -> None:
    views = DeadLetterViews(PREFIX, kept=2)
    for offset, timestamp in enumerate((5000, 1000, 3000)):
        views.apply_raw(record(0, offset, timestamp, "orders", "apply", "payments"))
    assert ids(views.page(None, None, None, 10, None)[0]) == ["0-0", "0-2"]


def test_a_record_without_our_headers_is_skipped() -> None:
    views = DeadLetterViews(PREFIX, kept=2)
    bare = record(0, 0, 1, "orders", "apply", "payments")
    views.apply_raw(dataclasses.replace(bare, headers=()))
    assert len(views) == 0


def test_a_re_drive_marks_its_letter_even_read_before_it() -> None:
    views = DeadLetterViews(PREFIX, kept=10)
    RedriveViews(views).apply(
        "0-0",
        {
            "dead_letter_id": "0-0",
            "source_topic": "p.payments",
            "partition": 2,
            "offset": 9,
            "redriven_at": 1_795_867_200_123,
            "operator": "ann",
            "note": "",
        },
    )
    views.apply_raw(record(0, 0, 1000, "orders", "unmatched", "payments"))
    [letter], _ = views.page(None, None, None, 10, None)
    assert letter["redriven"] == {
        "at": "2026-11-28T12:00:00.123+00:00",
        "topic": "payments",
        "partition": 2,
        "offset": 9,
        "operator": "ann",
        "note": "",
    }
