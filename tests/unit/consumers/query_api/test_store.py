"""The disk-backed view store behaves like the in-memory one."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from consumers.query_api.projections.orders import OrderViews
from consumers.query_api.projections.store import DiskViews, open_views
from schemas.records import Order
from tests.unit.schemas.samples import SAMPLES

SAMPLE = cast(Order, SAMPLES["Order"])


def test_disk_views_is_a_mapping_of_json_objects(tmp_path: Path) -> None:
    views: DiskViews[dict[str, object]] = DiskViews(tmp_path / "v")
    views["a"] = {"x": 1, "items": [{"sku": "s"}]}
    views["a"] = {"x": 2, "items": []}
    views["b"] = {"y": None}
    assert (views["a"], len(views), sorted(views), "b" in views, views.get("zz")) == (
        {"x": 2, "items": []},
        2,
        ["a", "b"],
        True,
        None,
    )
    del views["a"]
    assert (len(views), list(views)) == (1, ["b"])
    with pytest.raises(KeyError):
        del views["a"]
    views.close()


def test_opening_again_starts_empty(tmp_path: Path) -> None:
    first: DiskViews[dict[str, object]] = DiskViews(tmp_path / "v")
    first["a"] = {"x": 1}
    first.close()
    assert len(DiskViews(tmp_path / "v")) == 0


@pytest.mark.parametrize("kind", ["memory", "rocksdb"])
def test_order_views_answer_alike_on_either_store(tmp_path: Path, kind: str) -> None:
    views = OrderViews(store=open_views(kind, tmp_path / kind))
    views.apply("o-1", {**SAMPLE, "version": 1, "state": "CREATED"})
    views.apply("o-1", {**SAMPLE, "version": 2, "state": "VALIDATED"})
    views.apply("o-1", {**SAMPLE, "version": 1, "state": "CREATED"})
    view = views.get("o-1")
    assert view is not None
    assert (view["state"], view["version"], view["placed_at"]) == (
        "VALIDATED",
        2,
        "2026-11-28T12:00:00.123+00:00",
    )
    assert [v["order_id"] for v in views.customer_page("c-1", 5, None)[0]] == ["o-1"]
