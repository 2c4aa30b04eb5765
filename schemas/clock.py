"""Time as records carry it in Python: integer epoch milliseconds (``timestamp-millis`` on the wire).

Integers skip fastavro's datetime conversions (about half the cost of a decode) and are exact.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

EpochMillis = int


def now_ms() -> EpochMillis:
    """The current time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def iso(ms: EpochMillis) -> str:
    """ISO-8601 (UTC, millisecond precision) of an epoch-millis timestamp."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")
