"""What every HTTP service shares: error shapes, body limit, health, readiness and metrics."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_fastapi_instrumentator import Instrumentator, metrics
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra import tracing

ReadyCheck = Callable[[], Awaitable[dict[str, bool]]]
NotReadyReason = Callable[[], str | None]
ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
# what /metrics reports per route: requests by status class and latency; the instrumentator's default
# set (four metrics, request and response sizes among them) cost ingest-api 8 % of its throughput
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0)
PathId = Annotated[str, Path(pattern=ID_PATTERN)]  # ids in paths, as SPEC §4 spells them


class FieldError(BaseModel):
    """One bad part of a request: ``field`` as a client names it, ``loc`` as FastAPI does."""

    field: str
    loc: list[str | int]
    msg: str


class InvalidRequest(BaseModel):
    """422: every bad field of the request."""

    detail: list[FieldError]


class Problem(BaseModel):
    """4xx/5xx other than 422: what went wrong, in words."""

    detail: str


# The error answers every route may give, documented in OpenAPI as they really are (FastAPI's
# default 422 schema describes its own error shape, not the one validation_error sends).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": Problem, "description": "request body larger than the limit"},
    422: {"model": InvalidRequest, "description": "invalid input (malformed JSON too), each bad field named"},
}
UNAVAILABLE_RESPONSE: dict[int | str, dict[str, Any]] = {
    503: {
        "model": Problem,
        "description": "Kafka or the schema registry unreachable: nothing was published, retry later",
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    }
}


def not_found(what: str) -> dict[int | str, dict[str, Any]]:
    """The documented 404 answer of a route looking ``what`` up."""
    return {404: {"model": Problem, "description": f"unknown {what}"}}


class BodySizeLimit:
    """Answers 413 to a request whose body is larger than ``max_bytes``, declared or streamed.

    The body is read here, before any route runs: a route that never reads its body (cancel,
    ship) must still refuse an oversized one, and a limit hit while FastAPI parses the body
    would surface as its generic 400. At most ``max_bytes`` are held, then replayed to the app.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Reject early on Content-Length, else on the bytes that arrive; then run the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        buffered: list[Message] = []
        seen = 0
        more = True
        while more:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":  # the client went away
                break
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                await self._reject(send)
                return
            more = message.get("more_body", False)

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Send) -> None:
        """Send the 413 answer."""
        response = JSONResponse(
            {"detail": f"request body larger than {self.max_bytes} bytes"}, status_code=413
        )
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    """A receive channel for responses that never read the request."""
    return {"type": "http.disconnect"}


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "items", 0, "sku")`` → ``"items.0.sku"``: the field as a client names it."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:] or parts
    return ".".join(parts)


def _error(e: dict[str, Any]) -> dict[str, Any]:
    """One pydantic/FastAPI error as a :class:`FieldError`; JSON syntax errors name the body."""
    loc = list(e.get("loc", ()))
    field = "body" if e.get("type") == "json_invalid" else _field(loc)
    return {"field": field, "loc": loc, "msg": e.get("msg", "")}


async def validation_error(_: Request, exc: Exception) -> Response:
    """422 naming each bad field, without echoing the input back."""
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    return JSONResponse({"detail": [_error(e) for e in exc.errors()]}, status_code=422)


async def unparsable_body(request: Request, exc: Exception) -> Response:
    """A body FastAPI could not parse at all is invalid input: 422 naming the body.

    FastAPI answers 400 when the JSON parser fails with anything but a syntax error: bytes that are
    not UTF-8 or a number of more than 4300 digits (ValueError), nesting deeper than Python's
    recursion limit (RecursionError). SPEC §4 says malformed JSON, however deep, is a 422.
    """
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for this type only
    cause = exc.__cause__
    if exc.status_code == 400 and isinstance(cause, ValueError | RecursionError):
        problem = "nested too deeply" if isinstance(cause, RecursionError) else "the body could not be parsed"
        error = {"field": "body", "loc": ["body"], "msg": f"JSON decode error: {problem}"}
        return JSONResponse({"detail": [error]}, status_code=422)
    return await http_exception_handler(request, exc)


def health_router(ready: ReadyCheck, not_ready_reason: NotReadyReason | None = None) -> APIRouter:
    """``/healthz`` (the process runs) and ``/readyz`` (its dependencies answer, or why not)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process serves HTTP."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> Response:
        """Readiness: 200 when every dependency is reachable and caught up, else 503 naming them."""
        checks = await ready()
        status = 200 if all(checks.values()) else 503
        body: dict[str, Any] = {"ready": status == 200, "checks": checks}
        reason = not_ready_reason() if not_ready_reason is not None else None
        if reason is not None:
            body["reason"] = reason
        return JSONResponse(body, status_code=status)

    return router


def install_common(
    app: FastAPI, ready: ReadyCheck, max_body_bytes: int, not_ready_reason: NotReadyReason | None = None
) -> None:
    """Add error handlers, the body limit, health routes and Prometheus ``/metrics`` to ``app``.

    ``not_ready_reason``, when it gives one, is added to ``/readyz``'s answer as ``reason``.
    """
    tracing.instrument_http(app)  # a server span per request, when spans are exported
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, unparsable_body)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.include_router(health_router(ready, not_ready_reason))
    Instrumentator(excluded_handlers=["/metrics", "/healthz"]).add(
        metrics.requests(), metrics.latency(buckets=LATENCY_BUCKETS_S)
    ).instrument(app).expose(app, include_in_schema=False)


def freeze_startup_heap() -> None:
    """Put every object alive at the end of start-up out of the cyclic collector's reach (``gc.freeze``).

    A service starts with ~72,000 tracked objects (FastAPI, pydantic, aiokafka, the schemas) that
    live as long as the process; a full collection walks them all, 35–80 ms on this machine, and
    under load one landed in every hundredth request: ingest-api's POST p99 was 55 ms, 16 ms after
    this, and its throughput 12 % higher. Objects made later are collected as before.
    """
    gc.collect()
    gc.freeze()


def exit_with_parent(interval_s: float = 1.0) -> None:
    """Make this uvicorn worker process stop (SIGTERM to itself) once its parent is gone.

    uvicorn's workers share the socket their parent bound: when the parent is killed with SIGKILL
    they keep serving on it, unsupervised, and the parent that supervisord starts again cannot bind
    the port. A daemon thread checks every ``interval_s`` whether the parent changed (the worker
    was re-parented) and then asks this process to shut down the way a stop would.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
