"""Every schema version can read every earlier one (backward, transitive), by the avro package's checker."""

from __future__ import annotations

import pytest

from schemas import store
from schemas.evolution import judge, problems


def compatible(reader: store.Schema, writer: store.Schema) -> bool:
    """Whether data written with ``writer`` can be read with ``reader``."""
    return not problems(reader, writer)


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


def test_a_new_optional_field_reads_and_is_read_by_every_published_version() -> None:
    published = store.versions("Order")
    current = published[-1].definition
    optional = {"name": "gift_note", "type": ["null", "string"], "default": None}
    verdict = judge(store.from_definition({**current, "fields": [*current["fields"], optional]}), published)
    assert (verdict.name, verdict.published, verdict.unreadable, verdict.unread_by) == ("Order", 3, {}, {})


def test_a_new_required_field_cannot_read_any_published_version_and_says_why() -> None:
    published = store.versions("Order")
    current = published[-1].definition
    required = {"name": "gift_note", "type": "string"}
    verdict = judge(store.from_definition({**current, "fields": [*current["fields"], required]}), published)
    why = ["reader_field_missing_default_value: gift_note"]
    assert verdict.unreadable == {1: why, 2: why, 3: why}
    assert verdict.unread_by == {}
