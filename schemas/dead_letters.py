"""What a record on ``dead-letters`` says (SPEC §2): the original key and bytes, headers saying why.

The processors write dead letters (``stream_processors/common/dead_letters.py``), query-api lists
them (``GET /v1/dead-letters``) and ``python -m ops dead-letters`` lists, shows and re-drives them;
all three read the headers through this module.

A dead letter's headers are the original record's own headers (its trace context among them)
followed by ours: ``source-topic``, ``source-partition``, ``source-offset``, ``service``,
``error-kind`` and ``error`` (the error, cut at 1,000 characters). An original header with one of
our names is shadowed by ours. A dead letter is named by its place on ``dead-letters``:
``<partition>-<offset>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict, get_args

from schemas.clock import iso
from schemas.exceptions import SchemaError
from schemas.records import DeadLetterRedrive
from schemas.trace_context import trace_id


class SourceView(TypedDict):
    """Where a dead letter's record was read: topic (without the deployment's prefix), partition, offset."""

    topic: str
    partition: int
    offset: int


class RedriveView(TypedDict):
    """Where and when a dead letter went back (ISO-8601 UTC ``at``), and who sent it, why."""

    at: str
    topic: str
    partition: int
    offset: int
    operator: str
    note: str


class DeadLetterView(TypedDict):
    """A dead letter as ``GET /v1/dead-letters`` and ``python -m ops dead-letters list --json`` show it."""

    id: str
    dead_lettered_at: str
    service: str
    source: SourceView
    kind: str
    error: str
    key: str | None
    trace_id: str | None
    redriven: RedriveView | None


SOURCE_TOPIC = "source-topic"
SOURCE_PARTITION = "source-partition"
SOURCE_OFFSET = "source-offset"
SERVICE = "service"
ERROR_KIND = "error-kind"
ERROR = "error"
#: why a record was dead-lettered: not decodable, not applicable, on another partition than its key's
#: (SPEC §2), its outputs refused for good, a payment or action whose order never came (SPEC §3)
Kind = Literal["decode", "apply", "partition", "deliver", "unmatched"]
KINDS: tuple[Kind, ...] = get_args(Kind)
#: on a re-driven record: the id of the dead letter it comes from
REDRIVE_OF = "redrive-of"
#: the headers a dead letter adds to the original record's
OURS = frozenset({SOURCE_TOPIC, SOURCE_PARTITION, SOURCE_OFFSET, SERVICE, ERROR_KIND, ERROR})
ERROR_MAX_CHARS = 1000

Headers = Sequence[tuple[str, bytes]]


class NotADeadLetter(SchemaError):
    """A record on ``dead-letters`` without the headers every dead letter has."""


def letter_id(partition: int, offset: int) -> str:
    """The id of the dead letter at ``offset`` of partition ``partition`` of ``dead-letters``."""
    return f"{partition}-{offset}"


def parse_id(text: str) -> tuple[int, int]:
    """(partition, offset) of a dead letter id; ValueError when ``text`` is not one."""
    partition, sep, offset = text.partition("-")
    if not sep or not partition.isdigit() or not offset.isdigit():
        raise ValueError(f"not a dead letter id (<partition>-<offset>): {text!r}")
    return int(partition), int(offset)


def headers_of(
    original: Iterable[tuple[str, bytes]],
    topic: str,
    partition: int,
    offset: int,
    service: str,
    kind: str,
    error: str,
) -> list[tuple[str, bytes]]:
    """The headers of the dead letter of a record read at ``topic``/``partition``/``offset``."""
    kept = [(name, value) for name, value in original if name not in OURS]
    return [
        *kept,
        (SOURCE_TOPIC, topic.encode()),
        (SOURCE_PARTITION, str(partition).encode()),
        (SOURCE_OFFSET, str(offset).encode()),
        (SERVICE, service.encode()),
        (ERROR_KIND, kind.encode()),
        (ERROR, error[:ERROR_MAX_CHARS].encode()),
    ]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record of ``dead-letters``, its headers read.

    ``timestamp_ms``: when it was dead-lettered (the record's timestamp, epoch millis);
    ``original_headers``: the source record's headers, which a re-drive sends back with it.
    """

    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    source_topic: str
    source_partition: int
    source_offset: int
    service: str
    kind: str
    error: str
    original_headers: tuple[tuple[str, bytes], ...]

    @property
    def source(self) -> tuple[str, int, int]:
        """Where the record was read: (topic on the cluster, partition, offset)."""
        return self.source_topic, self.source_partition, self.source_offset

    @property
    def id(self) -> str:
        """``<partition>-<offset>`` on ``dead-letters``."""
        return letter_id(self.partition, self.offset)

    @classmethod
    def from_record(
        cls,
        partition: int,
        offset: int,
        timestamp_ms: int,
        key: bytes | None,
        value: bytes | None,
        headers: Iterable[tuple[str, bytes]],
    ) -> DeadLetter:
        """Read a record of ``dead-letters``; :class:`NotADeadLetter` when a header we write is missing."""
        pairs = list(headers)
        ours = {name: value.decode("utf-8", "replace") for name, value in pairs if name in OURS}
        missing = sorted(OURS - set(ours))
        if missing or not ours[SOURCE_PARTITION].isdigit() or not ours[SOURCE_OFFSET].isdigit():
            raise NotADeadLetter(
                f"dead-letters {letter_id(partition, offset)}: headers missing or not numbers: {missing}"
            )
        return cls(
            partition=partition,
            offset=offset,
            timestamp_ms=timestamp_ms,
            key=key,
            value=value,
            source_topic=ours[SOURCE_TOPIC],
            source_partition=int(ours[SOURCE_PARTITION]),
            source_offset=int(ours[SOURCE_OFFSET]),
            service=ours[SERVICE],
            kind=ours[ERROR_KIND],
            error=ours[ERROR],
            original_headers=tuple((name, value) for name, value in pairs if name not in OURS),
        )

    def redrive_headers(self) -> list[tuple[str, bytes]]:
        """The headers of the record a re-drive writes: the original's, and which dead letter it was."""
        return [*self.original_headers, (REDRIVE_OF, self.id.encode())]

    def topic_matches(self, topic: str, prefix: str) -> bool:
        """Whether its source topic is ``topic``, named on the cluster or without the deployment's prefix."""
        return self.source_topic in (topic, f"{prefix}{topic}")

    def view(self, prefix: str, redrive: DeadLetterRedrive | None) -> DeadLetterView:
        """The dead letter as ``GET /v1/dead-letters`` and ``python -m ops dead-letters list --json`` show it.

        Topics are named without the deployment's ``prefix``; times are ISO-8601 UTC; ``key`` is
        the original key as text; ``redriven`` is null until a re-drive sent it back.
        """
        return {
            "id": self.id,
            "dead_lettered_at": iso(self.timestamp_ms),
            "service": self.service,
            "source": {
                "topic": self.source_topic.removeprefix(prefix),
                "partition": self.source_partition,
                "offset": self.source_offset,
            },
            "kind": self.kind,
            "error": self.error,
            "key": None if self.key is None else self.key.decode("utf-8", "replace"),
            "trace_id": trace_id(self.original_headers),
            "redriven": None if redrive is None else redrive_view(redrive, prefix),
        }


def redrive_view(redrive: DeadLetterRedrive, prefix: str) -> RedriveView:
    """Where and when a dead letter went back, and who sent it."""
    return {
        "at": iso(redrive["redriven_at"]),
        "topic": redrive["source_topic"].removeprefix(prefix),
        "partition": redrive["partition"],
        "offset": redrive["offset"],
        "operator": redrive["operator"],
        "note": redrive.get("note", ""),
    }
