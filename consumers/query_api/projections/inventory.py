"""The inventory read model: on_hand, reserved and available per sku, as last published."""

from __future__ import annotations

from consumers.query_api.projections.base import LatestRecords
from schemas.records import InventoryView
from schemas.topics import Topics


class InventoryViews(LatestRecords[InventoryView]):
    """Latest ``InventoryView`` per sku (the topic is compacted state: the last record wins)."""

    def __init__(self) -> None:
        super().__init__(Topics.INVENTORY, lambda view: view["sku"])
