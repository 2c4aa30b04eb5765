"""Times as operators type them."""

from __future__ import annotations

import pytest

from ops.when import parse_when, short_utc

NOW = 1_795_867_200_123  # 2026-11-28T12:00:00.123Z


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45s", NOW - 45_000),
        ("30m", NOW - 1_800_000),
        ("2h", NOW - 7_200_000),
        ("7d", NOW - 604_800_000),
        ("2026-11-28T12:00:00", 1_795_867_200_000),
        ("2026-11-28T13:00:00+01:00", 1_795_867_200_000),
        ("2026-11-28T12:00:00Z", 1_795_867_200_000),
        ("2026-11-28", 1_795_824_000_000),
    ],
)
def test_spans_back_from_now_and_iso_times_utc_unless_said(text: str, expected: int) -> None:
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "5w", "-5m", "2026-13-01"])
def test_what_is_not_a_time_is_refused_with_examples(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a time: .*ISO-8601 such as"):
        parse_when(text, NOW)


def test_tables_show_utc_to_the_second() -> None:
    assert short_utc(NOW) == "2026-11-28 12:00:00"
