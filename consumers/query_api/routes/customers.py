"""Customers and what the shop told them."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from consumers.query_api import deps
from consumers.query_api.models import CustomerOrdersOut, CustomerOut, NotificationsOut
from infra.http import PathId, not_found
from schemas.records import Customer

router = APIRouter(prefix="/v1/customers", tags=["customers"])


def known_customer(request: Request, customer_id: str) -> Customer:
    """The customer as last set; 404 if unknown (so are its orders and notifications)."""
    return deps.known(deps.customers(request).get(customer_id), f"customer {customer_id}")


@router.get("/{customer_id}", responses=not_found("customer"))
async def get_customer(customer_id: PathId, request: Request) -> CustomerOut:
    """The customer as last set."""
    return CustomerOut(**known_customer(request, customer_id))


@router.get("/{customer_id}/notifications", responses=not_found("customer"))
async def get_notifications(
    customer_id: PathId,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NotificationsOut:
    """The customer's notifications, newest first."""
    known_customer(request, customer_id)
    newest = deps.notifications(request).newest(customer_id, limit)
    return NotificationsOut.model_validate({"notifications": newest})


def decode_cursor(cursor: str) -> tuple[int, str]:
    """The position an opaque cursor stands for; 422 if it is not one of ours."""
    try:
        placed_at, _, order_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        return int(placed_at), order_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(
            status_code=422, detail=[{"field": "cursor", "loc": ["query", "cursor"], "msg": "invalid cursor"}]
        ) from exc


def encode_cursor(position: tuple[int, str]) -> str:
    """An opaque cursor for a position in a customer's orders."""
    return base64.urlsafe_b64encode(f"{position[0]}:{position[1]}".encode()).decode()


@router.get("/{customer_id}/orders", responses=not_found("customer"))
async def get_customer_orders(
    customer_id: PathId,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CustomerOrdersOut:
    """The customer's orders, newest first; pass ``next_cursor`` back as ``cursor`` for the next page."""
    after = decode_cursor(cursor) if cursor else None
    known_customer(request, customer_id)
    page, position = deps.orders(request).customer_page(customer_id, limit, after)
    next_cursor = encode_cursor(position) if position else None
    return CustomerOrdersOut.model_validate({"orders": page, "next_cursor": next_cursor})
