"""Amounts as customers read them in notification texts."""

from __future__ import annotations

import pytest

from stream_processors.notifications.texts import money


@pytest.mark.parametrize(
    ("cents", "currency", "text"),
    [
        (2599, "EUR", "25.99 EUR"),
        (5, "USD", "0.05 USD"),
        (0, "GBP", "0.00 GBP"),
        (1200, "JPY", "1200 JPY"),
        (12345, "KWD", "12.345 KWD"),
        (-150, "EUR", "-1.50 EUR"),
        (100_000_000_00, "CHF", "100000000.00 CHF"),
    ],
)
def test_money_uses_the_currency_s_minor_units(cents: int, currency: str, text: str) -> None:
    assert money(cents, currency) == text
