"""``/healthz``, ``/readyz`` and ``/metrics`` for a processor, on Faust's own web server."""

from __future__ import annotations

from typing import cast

import faust
from faust.tables.manager import TableManager
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from schemas.serdes import Serdes


def is_ready(app: faust.App) -> bool:
    """Assigned, tables recovered, and not in the middle of a rebalance."""
    recovery = cast(TableManager, app.tables).recovery
    return bool(recovery.completed.is_set() and not app.rebalancing)


def install_pages(app: faust.App, serdes: Serdes) -> None:
    """Add the pages every service answers to the app's web server."""

    @app.page("/healthz")
    async def healthz(view: View, request: Request) -> Response:
        return view.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(view: View, request: Request) -> Response:
        checks = {"recovered": is_ready(app), "registry": await serdes.reachable()}
        ready = all(checks.values())
        return view.json({"ready": ready, "checks": checks}, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics(view: View, request: Request) -> Response:
        return view.bytes(generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})
