"""Order views, with long-polling until an order reaches a state."""

from __future__ import annotations

from typing import Annotated, get_args

import orjson
from fastapi import APIRouter, HTTPException, Query, Request, Response

from consumers.query_api import deps
from consumers.query_api.models import OrderView
from infra.http import PathId, not_found
from schemas.records import OrderState

router = APIRouter(prefix="/v1/orders", tags=["orders"])

STATES = frozenset(get_args(OrderState))  # as the Order schema lists them
WAIT_FOR_PATTERN = r"^[A-Z]+(,[A-Z]+)*$"


def parse_states(wait_for: str) -> frozenset[str]:
    """``"VALIDATED,FAILED"`` → the set of states; 422 naming any unknown one."""
    states = frozenset(wait_for.split(","))
    unknown = sorted(states - STATES)
    if unknown:
        raise HTTPException(
            status_code=422,
            detail=[
                {"field": "wait_for", "loc": ["query", "wait_for"], "msg": f"unknown state(s): {unknown}"}
            ],
        )
    return states


@router.get("/{order_id}", response_model=OrderView, responses=not_found("order"))
async def get_order(
    order_id: PathId,
    request: Request,
    wait_for: Annotated[str | None, Query(pattern=WAIT_FOR_PATTERN, max_length=200)] = None,
    timeout_ms: Annotated[int | None, Query(ge=0, le=60_000)] = None,
) -> Response:
    """The order's current view; with ``wait_for``, waits until it reaches one of those states."""
    if wait_for is None:
        view = deps.orders(request).get(order_id)
    else:
        states = parse_states(wait_for)
        wait_ms = deps.settings(request).default_timeout_ms if timeout_ms is None else timeout_ms
        view = await deps.orders(request).wait_for(order_id, states, wait_ms / 1000)
    return Response(orjson.dumps(deps.known(view, f"order {order_id}")), media_type="application/json")
