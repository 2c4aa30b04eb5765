"""docs/architecture.md (infra.architecture): up to date, one writer per topic, cites no code that is gone."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from infra import architecture
from infra.exceptions import ArchitectureDocError
from schemas.asyncapi import FLOWS
from schemas.topics import ALL, Topics

NODE = re.compile(r"^\s*(\w+)(?:\[|\(\[)")  # a node declaration: id, then its shape
EDGE = re.compile(r"^\s*(\w+) -(?:->|\.->)(?:\|[^|]*\|)? (\w+)$")


def committed() -> str:
    return architecture.DOC.read_text(encoding="utf-8")


def test_the_committed_doc_is_what_the_generator_makes_now() -> None:
    # if this fails: python -m infra.architecture, then review and commit docs/architecture.md
    assert architecture.render(committed()) == committed()


def test_every_topic_has_one_writer_but_the_listed_exceptions() -> None:
    assert architecture.violations() == []
    assert architecture.writers()[Topics.ORDERS.name] == ["orders"]
    assert architecture.writers()[Topics.DEAD_LETTER_REDRIVES.name] == ["ops"]


def test_every_module_and_name_the_doc_cites_exists() -> None:
    cited = architecture.REFERENCE.findall(committed())

    assert ("stream_processors/orders/rules.py", "place") in cited
    assert ("stream_processors/orders/processor.py", "OrdersHandler.time_out") in cited
    assert architecture.broken_references(committed()) == []


def test_a_second_writer_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    analytics = FLOWS["analytics"]
    flows = {**FLOWS, "analytics": replace(analytics, sends=(*analytics.sends, Topics.ORDERS))}
    monkeypatch.setattr(architecture, "FLOWS", flows)

    assert architecture.violations() == [
        "topic orders is written by orders, analytics: analytics would be a second writer (one writer per "
        "topic, SPEC §1; a shared topic is listed in infra/architecture.py SHARED)"
    ]


def test_a_shared_topic_takes_only_its_listed_writers(monkeypatch: pytest.MonkeyPatch) -> None:
    ingest = FLOWS["ingest-api"]
    flows = {**FLOWS, "ingest-api": replace(ingest, sends=(*ingest.sends, Topics.DEAD_LETTERS))}
    monkeypatch.setattr(architecture, "FLOWS", flows)

    assert architecture.violations() == [
        "topic dead-letters is written by ingest-api, orders, order-details, inventory, fraud, "
        "notifications, analytics: ingest-api would be a second writer (one writer per topic, SPEC §1; "
        "a shared topic is listed in infra/architecture.py SHARED)"
    ]


def test_a_topic_without_a_writer_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    analytics = FLOWS["analytics"]
    flows = {**FLOWS, "analytics": replace(analytics, sends=(Topics.SALES_PER_MINUTE, Topics.DEAD_LETTERS))}
    monkeypatch.setattr(architecture, "FLOWS", flows)

    assert architecture.violations() == [
        "topic order-counts has no writer in schemas/asyncapi.py FLOWS or TOOLS"
    ]


def test_a_reference_to_a_gone_file_or_name_is_found(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "rules.py").write_text("LIMIT = 1\n\nclass C:\n    def m(self) -> None: ...\n")
    text = (
        "`pkg/rules.py::LIMIT` `pkg/rules.py::C.m` `pkg/rules.py` `rules.py` "
        "`pkg/rules.py::C.gone` `pkg/rules.py::m` `pkg/gone.py::f`"
    )

    assert architecture.broken_references(text, tmp_path) == [
        "pkg/rules.py::C.gone: pkg/rules.py defines no C.gone",
        "pkg/rules.py::m: pkg/rules.py defines no m",
        "pkg/gone.py: no such file",
    ]


def test_render_rewrites_only_between_the_markers() -> None:
    text = f"# prose\n{architecture.BEGIN}\nstale\n{architecture.END}\n\nmore prose\n"

    assert architecture.render(text) == f"# prose\n{architecture.generated()}\n\nmore prose\n"
    with pytest.raises(ArchitectureDocError):
        architecture.render("# no markers\n")


def test_check_says_what_differs_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "architecture.md"
    doc.write_text(committed().replace("| `orders` | order_id |", "| `orders` | order id |"))
    monkeypatch.setattr(architecture, "DOC", doc)

    assert architecture.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("architecture.md is out of date (run: python -m infra.architecture):\n")
    assert "\n-| `orders` | order id |" in err
    assert "\n+| `orders` | order_id |" in err

    assert architecture.main([]) == 0
    assert doc.read_text() == committed()
    assert architecture.main(["--check"]) == 0


def test_the_diagram_declares_every_node_it_links_with_ids_mermaid_accepts() -> None:
    lines = architecture.diagram()
    declared = {m.group(1) for line in lines if (m := NODE.match(line))}
    edges = [m.groups() for line in lines if (m := EDGE.match(line))]
    linked = {node for edge in edges for node in edge}

    assert lines[:2] == ["```mermaid", "flowchart LR"] and lines[-1] == "```"
    assert {f"t_{spec.name.replace('-', '_')}" for spec in ALL} <= declared
    assert linked <= declared | {"processors"}
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", node) for node in declared)
    assert ("processors", "t_dead_letters") in edges  # every processor's dead letters: one edge
    assert ("s_orders", "t_dead_letters") not in edges
    assert ("s_orders", "t_orders") in edges and ("t_orders", "s_query_api") in edges
    assert ("http", "s_ingest_api") in edges and ("s_query_api", "http") in edges
