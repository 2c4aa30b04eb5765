"""What query-api routes use, read from ``app.state`` (where ``create_app`` and the lifespan put it).

Routes take the ``Request`` and call these accessors instead of declaring ``Depends`` on them:
FastAPI solves every dependency on every request, about 10 µs each on this machine, and
``GET /v1/orders/{id}`` with two of them spent 19 of its 136 µs in the app on that (issue 14).
Reading ``app.state`` at request time keeps what tests put there (fakes) in use.
"""

from typing import TypeVar

from fastapi import HTTPException, Request

from consumers.query_api.lag import LagMonitor
from consumers.query_api.projections.customers import CustomerViews, NotificationViews
from consumers.query_api.projections.dead_letters import DeadLetterViews
from consumers.query_api.projections.inventory import InventoryViews
from consumers.query_api.projections.orders import OrderViews
from consumers.query_api.projections.stats import SalesWindows, StateCounts
from consumers.query_api.settings import QuerySettings
from consumers.query_api.stream import Broadcaster

T = TypeVar("T")


def orders(request: Request) -> OrderViews:
    """The order views."""
    views: OrderViews = request.app.state.orders
    return views


def inventory(request: Request) -> InventoryViews:
    """Stock per sku."""
    views: InventoryViews = request.app.state.inventory
    return views


def customers(request: Request) -> CustomerViews:
    """Customers as last set."""
    views: CustomerViews = request.app.state.customers
    return views


def notifications(request: Request) -> NotificationViews:
    """Notifications per customer."""
    views: NotificationViews = request.app.state.notifications
    return views


def state_counts(request: Request) -> StateCounts:
    """Orders per state."""
    counts: StateCounts = request.app.state.state_counts
    return counts


def sales(request: Request) -> SalesWindows:
    """Sales per minute and sku."""
    windows: SalesWindows = request.app.state.sales
    return windows


def dead_letters(request: Request) -> DeadLetterViews:
    """The newest dead letters and their re-drives."""
    views: DeadLetterViews = request.app.state.dead_letters
    return views


def broadcaster(request: Request) -> Broadcaster:
    """The fan-out of order changes to live streams."""
    hub: Broadcaster = request.app.state.broadcaster
    return hub


def lag(request: Request) -> LagMonitor:
    """The processors' consumer lag, read from Kafka."""
    monitor: LagMonitor = request.app.state.lag
    return monitor


def settings(request: Request) -> QuerySettings:
    """query-api's settings."""
    configured: QuerySettings = request.app.state.settings
    return configured


def asyncapi_document(request: Request) -> bytes:
    """The AsyncAPI document, encoded once when the app was built."""
    encoded: bytes = request.app.state.asyncapi
    return encoded


def known(found: T | None, what: str) -> T:
    """``found``, or a 404 ``"<what> not found"`` when the read model has none (an unknown id)."""
    if found is None:
        raise HTTPException(status_code=404, detail=f"{what} not found")
    return found
