"""query-api: read models built from Kafka, served over HTTP (queries and long-polls)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from consumers.query_api.lag import LagMonitor
from consumers.query_api.materializer import Materializer
from consumers.query_api.projections.base import AnyProjection
from consumers.query_api.projections.customers import CustomerViews, NotificationViews
from consumers.query_api.projections.dead_letters import DeadLetterViews, RedriveViews
from consumers.query_api.projections.inventory import InventoryViews
from consumers.query_api.projections.orders import OrderView, OrderViews
from consumers.query_api.projections.stats import SalesWindows, StateCounts
from consumers.query_api.projections.store import DiskViews, open_views
from consumers.query_api.routes import (
    asyncapi,
    customers,
    dashboard,
    dead_letters,
    inventory,
    orders,
    stats,
    stream,
)
from consumers.query_api.settings import QuerySettings
from consumers.query_api.stream import Broadcaster
from consumers.query_api.supervisor import Supervisor
from infra.http import ERROR_RESPONSES, freeze_startup_heap, install_common
from infra.lag import KafkaOffsets, processor_groups
from infra.serve import serve, worker_app
from schemas.serdes import Serdes


def create_app(settings: QuerySettings | None = None) -> FastAPI:
    """Build the app; the Kafka consumer starts in the lifespan, never at import."""
    settings = settings or QuerySettings()
    views_store = order_views_store(settings)
    offsets = KafkaOffsets(settings.kafka)  # connects on the first dashboard request, not at start
    app = FastAPI(
        title="ShopStream query-api",
        version="1",
        description="Read models materialized from Kafka: order views and long-polls.",
        lifespan=lifespan(offsets, views_store),
    )
    app.state.settings = settings
    add_read_models(app, settings, views_store)
    app.state.lag = LagMonitor(
        offsets, processor_groups(settings.kafka.topic_prefix), settings.lag_interval_s
    )
    app.state.asyncapi = asyncapi.build(settings)
    add_routes(app, settings)
    return app


def order_views_store(settings: QuerySettings) -> MutableMapping[str, OrderView]:
    """Where the order views live: one store per worker process (a RocksDB folder has one owner)."""
    folder = f"orders-{settings.port}" if settings.workers == 1 else f"orders-{settings.port}-{os.getpid()}"
    return open_views(settings.store, Path(settings.store_dir) / folder)


def lifespan(
    offsets: KafkaOffsets, views_store: MutableMapping[str, OrderView]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start the materializer's supervisor with the app; on the way out stop it and close every client."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        app.state.supervisor.start()
        freeze_startup_heap()
        yield
        await app.state.supervisor.stop()
        await offsets.close()
        app.state.serdes.close()
        if isinstance(views_store, DiskViews):  # RocksDB: flushed and its folder's lock let go
            views_store.close()

    return run


def add_read_models(
    app: FastAPI, settings: QuerySettings, views_store: MutableMapping[str, OrderView]
) -> None:
    """The read models, and the materializer that feeds them under its supervisor, in ``app.state``.

    Readiness, the routes and the lifespan use them through ``app.state``, so tests can put fakes there.
    """
    hub = Broadcaster()
    order_views = OrderViews(on_change=lambda view: hub.publish("order", view), store=views_store)
    inventory_views, customer_views, notification_views = (
        InventoryViews(),
        CustomerViews(),
        NotificationViews(),
    )
    state_counts, sales = StateCounts(), SalesWindows()
    letters = DeadLetterViews(settings.kafka.topic_prefix, settings.dead_letters_kept)
    serdes = Serdes(settings.kafka, settings.registry)
    projections: list[AnyProjection] = [
        order_views,
        inventory_views,
        customer_views,
        notification_views,
        state_counts,
        sales,
        RedriveViews(letters),
    ]
    materializer = Materializer(settings.kafka, serdes, projections, raw=[letters])
    app.state.materializer = materializer
    app.state.supervisor = Supervisor("materializer", materializer.run)
    app.state.serdes = serdes
    app.state.orders = order_views
    app.state.inventory = inventory_views
    app.state.customers = customer_views
    app.state.notifications = notification_views
    app.state.state_counts = state_counts
    app.state.sales = sales
    app.state.dead_letters = letters
    app.state.broadcaster = hub


def add_routes(app: FastAPI, settings: QuerySettings) -> None:
    """Health, readiness and metrics (ready once the read models caught up), and every router."""

    async def ready() -> dict[str, bool]:
        return {
            "materializer_running": app.state.supervisor.failure is None,
            "kafka_caught_up": app.state.materializer.caught_up,
            "registry": await app.state.serdes.reachable(),
        }

    def not_ready_reason() -> str | None:
        supervisor: Supervisor = app.state.supervisor
        return supervisor.failure

    install_common(app, ready, settings.max_body_bytes, not_ready_reason=not_ready_reason)
    for router in (orders.router, inventory.router, customers.router, stats.router, dead_letters.router):
        app.include_router(router, responses=ERROR_RESPONSES)
    app.include_router(stream.router)
    app.include_router(asyncapi.router)
    app.include_router(dashboard.router, responses=ERROR_RESPONSES)
    dashboard.mount_static(app)


def create_worker_app() -> FastAPI:
    """The app of one of several uvicorn worker processes, built from the environment."""
    return worker_app("query-api", QuerySettings(), create_app)


def main() -> None:
    """Run query-api with uvicorn on the configured address, in ``workers`` processes sharing the port."""
    serve("query-api", QuerySettings(), create_app, "consumers.query_api.main:create_worker_app")
