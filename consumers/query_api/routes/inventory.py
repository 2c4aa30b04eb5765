"""Stock per sku."""

from __future__ import annotations

from fastapi import APIRouter, Request

from consumers.query_api import deps
from consumers.query_api.models import InventoryOut
from infra.http import PathId, not_found

router = APIRouter(prefix="/v1/inventory", tags=["inventory"])


@router.get("/{sku}", responses=not_found("sku"))
async def get_inventory(sku: PathId, request: Request) -> InventoryOut:
    """On hand, reserved and available units of a sku."""
    return InventoryOut.model_validate(deps.known(deps.inventory(request).get(sku), f"sku {sku}"))
