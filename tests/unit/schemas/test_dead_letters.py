"""The dead-letter contract: headers written, read back, and what a re-drive sends (SPEC §2)."""

from __future__ import annotations

import pytest

from schemas.dead_letters import DeadLetter, NotADeadLetter, headers_of, letter_id, parse_id

TRACE = ("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")


def test_headers_of_keep_the_original_ones_then_name_source_and_error() -> None:
    original = [TRACE, ("tenant", b"eu"), ("error", b"forged by the producer")]
    headers = headers_of(original, "p.payments", 4, 77, "orders", "unmatched", "x" * 1500)
    assert headers == [
        TRACE,
        ("tenant", b"eu"),
        ("source-topic", b"p.payments"),
        ("source-partition", b"4"),
        ("source-offset", b"77"),
        ("service", b"orders"),
        ("error-kind", b"unmatched"),
        ("error", b"x" * 1000),
    ]


def test_a_dead_letter_reads_back_and_is_re_driven_with_the_original_headers() -> None:
    headers = headers_of(
        [TRACE, ("tenant", b"eu")], "p.payments", 4, 77, "orders", "unmatched", "no such order"
    )
    letter = DeadLetter.from_record(3, 1542, 1_795_867_200_123, b"o-1", b"\x00bytes", headers)
    assert (letter.id, letter.source_topic, letter.source_partition, letter.source_offset) == (
        "3-1542",
        "p.payments",
        4,
        77,
    )
    assert (letter.service, letter.kind, letter.error) == ("orders", "unmatched", "no such order")
    assert letter.redrive_headers() == [TRACE, ("tenant", b"eu"), ("redrive-of", b"3-1542")]
    assert letter.topic_matches("payments", "p.") and letter.topic_matches("p.payments", "p.")
    assert not letter.topic_matches("orders", "p.")
    assert letter.view("p.", None) == {
        "id": "3-1542",
        "dead_lettered_at": "2026-11-28T12:00:00.123+00:00",
        "service": "orders",
        "source": {"topic": "payments", "partition": 4, "offset": 77},
        "kind": "unmatched",
        "error": "no such order",
        "key": "o-1",
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "redriven": None,
    }


def test_a_record_without_our_headers_is_not_a_dead_letter() -> None:
    with pytest.raises(NotADeadLetter, match=r"dead-letters 0-5: .*'service'"):
        DeadLetter.from_record(0, 5, 0, None, b"", [("source-topic", b"t"), ("source-partition", b"0")])
    forged = headers_of([], "t", 0, 1, "orders", "apply", "e")
    forged[2] = ("source-offset", b"one")
    with pytest.raises(NotADeadLetter):
        DeadLetter.from_record(0, 6, 0, None, b"", forged)


def test_ids_are_partition_dash_offset() -> None:
    assert letter_id(3, 1542) == "3-1542"
    assert parse_id("3-1542") == (3, 1542)
    for bad in ("3", "3-", "-1", "a-1", "3-1-2"):
        with pytest.raises(ValueError, match="not a dead letter id"):
            parse_id(bad)
