"""The schema store: every ``.avsc`` under ``schemas/avro``, parsed once and fingerprinted."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from fastavro import parse_schema
from fastavro.schema import SchemaParseException, fingerprint, to_parsing_canonical_form

from schemas.exceptions import SchemaError

NAMESPACE = "io.shopstream"


@dataclass(frozen=True, slots=True)
class Schema:
    """One Avro schema: its definition, fastavro's parsed form and its CRC-64-AVRO fingerprint."""

    name: str
    definition: dict[str, Any]
    parsed: Any
    parsed_plain: Any
    fingerprint: bytes

    @property
    def text(self) -> str:
        """The full definition as compact JSON (with defaults and docs), as registries store it."""
        return json.dumps(self.definition, separators=(",", ":"))

    @property
    def canonical(self) -> str:
        """The Parsing Canonical Form, as registries and fingerprints see it."""
        return str(to_parsing_canonical_form(self.parsed))


def _fingerprint(parsed: Any) -> bytes:
    """CRC-64-AVRO of the canonical form, as the 8 little-endian bytes single-object encoding uses."""
    value = int(fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"), 16)
    return value.to_bytes(8, "little")


def _without_logical_types(node: Any) -> Any:
    """The schema with logical types removed: what readers use to get timestamps as epoch millis."""
    if isinstance(node, dict):
        return {k: _without_logical_types(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [_without_logical_types(item) for item in node]
    return node


def from_definition(definition: dict[str, Any]) -> Schema:
    """Parse a schema definition (a JSON object) into a :class:`Schema`.

    Raises :class:`SchemaError` when it is not an Avro record schema.
    """
    try:
        parsed = parse_schema(definition)
        plain = parse_schema(_without_logical_types(definition))
        return Schema(str(definition["name"]), definition, parsed, plain, _fingerprint(parsed))
    except (SchemaParseException, KeyError, TypeError, ValueError) as exc:  # fastavro's, by shape
        raise SchemaError(f"not an Avro record schema: {exc!r}") from exc


@cache
def load(name: str) -> Schema:
    """The current schema of record ``name`` (e.g. ``"Order"``), read from the package once."""
    path = resources.files("schemas") / "avro" / f"{name}.avsc"
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchemaError(f"no schema named {name!r} in schemas/avro") from exc
    return from_definition(definition)


def all_names() -> list[str]:
    """Names of every record in the store."""
    folder = resources.files("schemas") / "avro"
    return sorted(p.name.removesuffix(".avsc") for p in folder.iterdir() if p.name.endswith(".avsc"))


@cache
def versions(name: str) -> tuple[Schema, ...]:
    """Every published version of record ``name``, oldest first, the current one last.

    Earlier versions live in ``schemas/avro/history/<name>.v<N>.avsc``.
    """
    folder = resources.files("schemas") / "avro" / "history"
    found: list[tuple[int, Schema]] = []
    if folder.is_dir():
        for path in folder.iterdir():
            stem, _, version = path.name.removesuffix(".avsc").partition(".v")
            if stem == name and version.isdigit():
                found.append((int(version), from_definition(json.loads(path.read_text(encoding="utf-8")))))
    return (*(schema for _, schema in sorted(found, key=lambda pair: pair[0])), load(name))


def every_version() -> list[Schema]:
    """Every version of every record: what a reader may meet on the wire."""
    return [schema for name in all_names() for schema in versions(name)]
