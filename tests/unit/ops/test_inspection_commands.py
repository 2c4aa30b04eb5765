"""ops schema-check's verdict and ops records' field selection: files and names in, no Kafka needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops import records, schema_check
from ops.__main__ import main
from schemas import store
from schemas.evolution import judge
from schemas.topics import Topics


def order_with(fields: list[dict[str, object]]) -> store.Schema:
    current = store.versions("Order")[-1].definition
    return store.from_definition({**current, "fields": fields})


def test_a_removed_required_field_is_backward_but_not_forward_compatible_and_says_so() -> None:
    current = store.versions("Order")[-1].definition["fields"]
    verdict = judge(order_with([f for f in current if f["name"] != "customer_id"]), store.versions("Order"))
    assert schema_check.report(verdict) == [
        "Order: 3 published versions (v1..v3)",
        "Order: backward compatible: reads every published version",
        "  v1 cannot read it: reader_field_missing_default_value: customer_id",
        "  v2 cannot read it: reader_field_missing_default_value: customer_id",
        "  v3 cannot read it: reader_field_missing_default_value: customer_id",
        "Order: NOT forward compatible: a service still reading with those versions fails on its records;"
        " upgrade every reader before any writer",
    ]


@pytest.mark.parametrize("text", ['{"fields": "x"}', "[1, 2]", "not json", '{"type": "record"}'])
def test_a_file_that_is_not_an_avro_record_is_refused(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.avsc"
    path.write_text(text)
    assert main(["schema-check", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"refused: {path}: ")


def test_a_required_new_field_may_not_be_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current = store.versions("Order")[-1].definition
    path = tmp_path / "Order.avsc"
    path.write_text(json.dumps({**current, "fields": [*current["fields"], {"name": "n", "type": "string"}]}))
    assert main(["schema-check", str(path)]) == 1
    assert "Order: NOT backward compatible: it may not be published" in capsys.readouterr().out


def test_fields_must_be_fields_of_the_topic_s_record() -> None:
    assert records._fields("state, version", Topics.ORDERS) == ["state", "version"]
    assert records._fields(None, Topics.ORDERS) is None
    with pytest.raises(ValueError, match="^Order has no field stat, colour; its fields: order_id, "):
        records._fields("stat,state,colour", Topics.ORDERS)
