"""W3C Trace Context in Kafka record headers, as the contract carries it (SPEC §5).

Every record written because of an HTTP request carries the request's trace in a ``traceparent``
header (and ``tracestate`` when there is one): ``00-<trace id: 32 hex>-<parent id: 16 hex>-<flags>``
(W3C Trace Context §3.2). ``infra.tracing`` writes and forwards them; readers of records take the
trace id from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

FIELDS = frozenset({"traceparent", "tracestate"})
#: a ``traceparent`` of version 00: trace id and parent id not all zeros, version not ff
TRACEPARENT = re.compile(rb"(?!ff)[0-9a-f]{2}-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")

Headers = Iterable[tuple[str, bytes]] | Mapping[str, bytes] | None


def traceparent(headers: Headers) -> bytes | None:
    """The record's ``traceparent`` when it is well-formed, else None."""
    if not headers:
        return None
    for name, value in headers.items() if isinstance(headers, Mapping) else headers:
        if name == "traceparent":
            return value if TRACEPARENT.fullmatch(value) else None
    return None


def trace_id(headers: Headers) -> str | None:
    """The 32-hex-digit trace id the record's headers carry, if any."""
    parent = traceparent(headers)
    return None if parent is None else parent[3:35].decode()
