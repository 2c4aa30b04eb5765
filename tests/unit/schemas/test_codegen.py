"""The Python types are derived from the .avsc files and must not drift from them."""

from __future__ import annotations

import typing

from schemas import codegen, records, store


def test_committed_records_module_matches_the_avsc_files() -> None:
    assert codegen.TARGET.read_text() == codegen.render(), "run: python -m schemas.codegen"


def test_every_record_has_a_typed_dict_with_its_fields() -> None:
    for name in store.all_names():
        typed = getattr(records, name)
        fields = [f["name"] for f in store.load(name).definition["fields"]]
        assert list(typing.get_type_hints(typed)) == fields
