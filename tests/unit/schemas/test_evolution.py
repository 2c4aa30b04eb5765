"""Every schema version can read every earlier one (backward, transitive), by the avro package's checker."""

from __future__ import annotations

import json

import avro.schema
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from schemas import store


def compatible(reader: store.Schema, writer: store.Schema) -> bool:
    """Whether data written with ``writer`` can be read with ``reader``."""
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]  # avro ships untyped
    result = checker.get_compatibility(
        avro.schema.parse(json.dumps(reader.definition)), avro.schema.parse(json.dumps(writer.definition))
    )
    return bool(result.compatibility is SchemaCompatibilityType.compatible)


@pytest.mark.parametrize("name", store.all_names())
def test_every_version_reads_all_earlier_versions(name: str) -> None:
    versions = store.versions(name)
    for i, reader in enumerate(versions):
        for writer in versions[:i]:
            assert compatible(reader, writer), f"{name} v{i + 1} cannot read v{versions.index(writer) + 1}"


def fields(schema: store.Schema) -> set[str]:
    return {f["name"] for f in schema.definition["fields"]}


def test_order_has_real_later_versions() -> None:
    v1, v2, v3 = store.versions("Order")
    assert fields(v2) - fields(v1) == {"validated_at"}
    assert fields(v3) - fields(v2) == {"payment_ids"}
    assert len({v1.fingerprint, v2.fingerprint, v3.fingerprint}) == 3


def test_the_checker_refuses_a_new_field_without_default() -> None:
    v1 = store.load("StateCount")
    broken = store.from_definition(
        {**v1.definition, "fields": [*v1.definition["fields"], {"name": "extra", "type": "string"}]}
    )
    assert not compatible(broken, v1)
    assert compatible(v1, broken)
