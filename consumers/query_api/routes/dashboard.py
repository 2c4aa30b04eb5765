"""``GET /``: the live dashboard page, and its static files (ours, and Chart.js from npm)."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

log = logging.getLogger(__name__)
DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
STATIC = DASHBOARD / "static"
VENDOR = DASHBOARD / "node_modules" / "chart.js" / "dist"

router = APIRouter(tags=["dashboard"])


@router.get("/", include_in_schema=False)
async def dashboard() -> FileResponse:
    """The live dashboard (orders per minute, revenue per sku, orders by state, latest failures)."""
    return FileResponse(STATIC / "index.html", media_type="text/html")


def mount_static(app: FastAPI) -> None:
    """Serve the dashboard's files; the chart library comes from ``npm ci`` in ``make`` set-up."""
    if not VENDOR.is_dir():
        log.warning("chart library missing (run make setup); the dashboard shows numbers only")
        VENDOR.mkdir(parents=True, exist_ok=True)
    app.mount("/static/vendor", StaticFiles(directory=VENDOR), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
