"""The inventory read model: on_hand, reserved and available per sku, as last published."""

from __future__ import annotations

from typing import Any

from consumers.query_api.projections.base import Headers
from schemas.topics import Topics


class InventoryViews:
    """Latest ``InventoryView`` per sku (the topic is compacted state: the last record wins)."""

    topic = Topics.INVENTORY

    def __init__(self) -> None:
        self._views: dict[str, dict[str, int | str]] = {}

    def get(self, sku: str) -> dict[str, int | str] | None:
        """``{sku, on_hand, reserved, available}`` of ``sku``, if known."""
        return self._views.get(sku)

    def apply(self, key: str | None, record: dict[str, Any], headers: Headers = ()) -> None:
        """Keep the newest view of the record's sku."""
        self._views[record["sku"]] = {
            "sku": record["sku"],
            "on_hand": record["on_hand"],
            "reserved": record["reserved"],
            "available": record["available"],
        }
