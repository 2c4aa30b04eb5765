"""Schema evolution: can a reader schema read what a writer schema wrote (SPEC §2, "Schemas evolve")?

The check is the avro package's reader/writer resolution, the rules Avro readers apply: a new
version must read every published one (backward, transitive), which is what `make test` proves
for the schemas in ``schemas/avro`` and what ``python -m ops schema-check`` tells of an edited file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from schemas import store


def problems(reader: store.Schema, writer: store.Schema) -> list[str]:
    """Why data written with ``writer`` cannot be read with ``reader``; empty when it can.

    Each problem reads ``<kinds>: <detail>`` as the avro checker names them, e.g.
    ``reader_field_missing_default_value: gift_note``.
    """
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]  # avro ships untyped
    result = checker.get_compatibility(
        avro.schema.parse(json.dumps(reader.definition)), avro.schema.parse(json.dumps(writer.definition))
    )
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = ", ".join(sorted({kind.value for kind in result.incompatibilities}))
    return [f"{kinds}: {message}" for message in sorted(result.messages)]


@dataclass(frozen=True)
class Verdict:
    """How a candidate schema stands to the published versions of its record (1 = the oldest)."""

    name: str
    published: int
    unreadable: dict[int, list[str]]  # version → why the candidate cannot read it (backward)
    unread_by: dict[int, list[str]]  # version → why it cannot read the candidate (forward)


def judge(candidate: store.Schema, published: Sequence[store.Schema]) -> Verdict:
    """The candidate as the next version after ``published`` (oldest first)."""
    unreadable = {v: p for v, old in enumerate(published, 1) if (p := problems(candidate, old))}
    unread_by = {v: p for v, old in enumerate(published, 1) if (p := problems(old, candidate))}
    return Verdict(candidate.name, len(published), unreadable, unread_by)
