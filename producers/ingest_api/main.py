"""ingest-api: validates commands and publishes them to Kafka as Avro events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from infra.http import (
    ERROR_RESPONSES,
    UNAVAILABLE_RESPONSE,
    freeze_startup_heap,
    install_common,
)
from infra.serve import serve, worker_app
from producers.ingest_api.auth import OPENAPI_SCHEMES, ApiKeyGuard
from producers.ingest_api.publisher import EventPublisher, KafkaUnavailable
from producers.ingest_api.routes import orders, reference
from producers.ingest_api.settings import IngestSettings
from schemas.registry import RegistryError
from schemas.serdes import Serdes
from schemas.topics import Topics

log = logging.getLogger(__name__)
WRITES = (
    Topics.CUSTOMERS,
    Topics.INVENTORY_LEVELS,
    Topics.ORDER_REQUESTS,
    Topics.PAYMENTS,
    Topics.ORDER_ACTIONS,
)


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    """Build the app; the Kafka producer is made in the lifespan, never at import."""
    settings = settings or IngestSettings()
    app = FastAPI(
        title="ShopStream ingest-api",
        version="1",
        description="Accepts commands and publishes them durably to Kafka (2xx means acks=all).",
        lifespan=lifespan(settings),
    )
    app.state.settings = settings

    async def ready() -> dict[str, bool]:
        return {
            "kafka": await app.state.publisher.reachable(),
            "registry": await app.state.serdes.reachable(),
        }

    app.add_exception_handler(KafkaUnavailable, kafka_unavailable(settings.retry_after_s))
    install_common(app, ready, settings.max_body_bytes)
    schemes = OPENAPI_SCHEMES if settings.api_keys else []
    for router in (reference.router, orders.router):
        app.include_router(
            router, dependencies=schemes, responses={**ERROR_RESPONSES, **UNAVAILABLE_RESPONSE}
        )
    if settings.api_keys:  # outermost: a request without a key goes no further
        app.add_middleware(ApiKeyGuard, digests=settings.api_keys)
    return app


def lifespan(settings: IngestSettings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Connect to the registry and Kafka as the app starts (503 answers until they are up); close after."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        with Serdes(settings.kafka, settings.registry) as serdes:
            try:
                await asyncio.to_thread(serdes.prepare, WRITES)
            except RegistryError:
                log.warning("schema registry unreachable at start; answering 503 until it is back")
            publisher = EventPublisher(settings.kafka, serdes, settings.publish_timeout_s)
            try:
                await publisher.start()
            except KafkaUnavailable:
                log.warning("Kafka unreachable at start; answering 503 until it is back")
            app.state.publisher = publisher
            app.state.serdes = serdes
            freeze_startup_heap()
            try:
                yield
            finally:
                await publisher.stop()

    return run


def kafka_unavailable(retry_after_s: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    """The handler of :class:`KafkaUnavailable`: 503 saying why, with ``Retry-After`` (never a 2xx)."""

    async def handle(_: Request, exc: Exception) -> Response:
        return JSONResponse(
            {"detail": str(exc)}, status_code=503, headers={"Retry-After": str(retry_after_s)}
        )

    return handle


def create_worker_app() -> FastAPI:
    """The app of one of several uvicorn worker processes, built from the environment."""
    return worker_app("ingest-api", IngestSettings(), create_app)


def main() -> None:
    """Run ingest-api with uvicorn on the configured address, in ``workers`` processes sharing the port."""
    serve("ingest-api", IngestSettings(), create_app, "producers.ingest_api.main:create_worker_app")
