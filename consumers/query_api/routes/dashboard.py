"""``GET /``: the live dashboard page, its static files (ours, and Chart.js from npm), and its data.

``/dashboard/*`` serves what only the dashboard needs and SPEC's public ``/v1`` API does not list:
the latest failed orders (to fill the page on load) and the processors' consumer lag.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from consumers.query_api import deps
from consumers.query_api.lag import LagUnavailableError
from consumers.query_api.models import LatestFailuresOut
from infra.lag import Snapshot

log = logging.getLogger(__name__)
DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
STATIC = DASHBOARD / "static"
VENDOR = DASHBOARD / "node_modules" / "chart.js" / "dist"

router = APIRouter(tags=["dashboard"])


@router.get("/", include_in_schema=False)
async def dashboard() -> FileResponse:
    """The live dashboard (orders per minute, revenue per sku, orders by state, latest failures)."""
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/dashboard/failures")
async def latest_failures(
    request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 15
) -> LatestFailuresOut:
    """The most recently failed orders (order views), newest first: the dashboard's list on load."""
    return LatestFailuresOut.model_validate({"orders": deps.orders(request).latest_failures(limit)})


@router.get("/dashboard/lag", responses={503: {"description": "Kafka did not answer"}})
async def consumer_lag(request: Request) -> Snapshot:
    """Each processor's consumer lag (end minus committed offsets), read from Kafka every few seconds.

    ``{group: {processor, lag, partitions: [{topic, partition, committed, end, lag}]}}``; ``lag`` is
    null for a group that has committed nothing yet. Changelog topics are not counted.
    """
    try:
        return await deps.lag(request).snapshot()
    except LagUnavailableError as exc:
        raise HTTPException(status_code=503, detail=str(exc), headers={"Retry-After": "5"}) from exc


def mount_static(app: FastAPI) -> None:
    """Serve the dashboard's files; the chart library comes from ``npm ci`` in ``make`` set-up."""
    if not VENDOR.is_dir():
        log.warning("chart library missing (run make setup); the dashboard shows numbers only")
        VENDOR.mkdir(parents=True, exist_ok=True)
    app.mount("/static/vendor", StaticFiles(directory=VENDOR), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
