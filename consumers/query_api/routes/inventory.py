"""Stock per sku."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from consumers.query_api import deps
from consumers.query_api.models import InventoryOut
from infra.http import PathId, not_found

router = APIRouter(prefix="/v1/inventory", tags=["inventory"])


@router.get("/{sku}", responses=not_found("sku"))
async def get_inventory(sku: PathId, request: Request) -> InventoryOut:
    """On hand, reserved and available units of a sku."""
    view = deps.inventory(request).get(sku)
    if view is None:
        raise HTTPException(status_code=404, detail=f"sku {sku} not found")
    return InventoryOut.model_validate(view)
