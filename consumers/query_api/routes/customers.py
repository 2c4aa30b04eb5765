"""Customers and what the shop told them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from consumers.query_api.deps import CustomersDep, NotificationsDep, PathId
from consumers.query_api.models import CustomerOut, NotificationsOut

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.get("/{customer_id}", responses={404: {"description": "unknown customer"}})
async def get_customer(customer_id: PathId, customers: CustomersDep) -> CustomerOut:
    """The customer as last set."""
    view = customers.get(customer_id)
    if view is None:
        raise HTTPException(status_code=404, detail=f"customer {customer_id} not found")
    return CustomerOut.model_validate(view)


@router.get("/{customer_id}/notifications", responses={404: {"description": "unknown customer"}})
async def get_notifications(
    customer_id: PathId,
    customers: CustomersDep,
    notifications: NotificationsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NotificationsOut:
    """The customer's notifications, newest first."""
    if customers.get(customer_id) is None:
        raise HTTPException(status_code=404, detail=f"customer {customer_id} not found")
    return NotificationsOut.model_validate({"notifications": notifications.newest(customer_id, limit)})
