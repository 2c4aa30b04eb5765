"""Dead letters: what the processors could not decode or apply, and whether it was re-driven."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from consumers.query_api import deps
from consumers.query_api.models import DeadLettersOut
from consumers.query_api.projections.dead_letters import Position
from schemas.dead_letters import Kind

router = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"])
Filter = Annotated[str | None, Query(min_length=1, max_length=200)]


def decode_cursor(cursor: str) -> Position:
    """The position an opaque cursor stands for; 422 if it is not one of ours."""
    try:
        timestamp, partition, offset = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        return int(timestamp), int(partition), int(offset)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(
            status_code=422, detail=[{"field": "cursor", "loc": ["query", "cursor"], "msg": "invalid cursor"}]
        ) from exc


def encode_cursor(position: Position) -> str:
    """An opaque cursor for a position in the dead letters."""
    return base64.urlsafe_b64encode(":".join(map(str, position)).encode()).decode()


@router.get("")
async def list_dead_letters(
    request: Request,
    service: Filter = None,
    topic: Filter = None,
    kind: Annotated[Kind | None, Query(description="decode, apply, partition, deliver or unmatched")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> DeadLettersOut:
    """Dead letters, newest first, filtered by the service that wrote them, their source topic (with or
    without the deployment's prefix) and error kind; pass ``next_cursor`` back as ``cursor`` for more.
    Re-driven ones say when and where (``python -m ops dead-letters redrive``).
    """
    before = decode_cursor(cursor) if cursor else None
    page, position = deps.dead_letters(request).page(service, topic, kind, limit, before)
    next_cursor = encode_cursor(position) if position else None
    return DeadLettersOut.model_validate({"dead_letters": page, "next_cursor": next_cursor})
