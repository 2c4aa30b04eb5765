"""Points in time as operators type them: ISO-8601, or a span back from now (``30m``, ``2h``, ``7d``)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from schemas.clock import EpochMillis

_SPAN = re.compile(r"^(\d+)([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_when(text: str, now_ms: EpochMillis | None = None) -> EpochMillis:
    """Epoch millis of ``text``: ``<n>s|m|h|d`` back from ``now_ms`` (default: now), or an ISO-8601
    date or time (UTC when it names no offset). ValueError names what it cannot read.
    """
    span = _SPAN.match(text.strip())
    if span:
        now = int(time.time() * 1000) if now_ms is None else now_ms
        return now - int(span.group(1)) * _UNIT_S[span.group(2)] * 1000
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not a time: {text!r} (ISO-8601 such as 2026-12-07T10:00, or 30m, 2h, 7d)") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def short_utc(ms: EpochMillis) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC, for tables."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
