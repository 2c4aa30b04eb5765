"""Dependencies of query-api routes, as Annotated aliases."""

from typing import Annotated

from fastapi import Depends, Path, Request

from consumers.query_api.projections.customers import CustomerViews, NotificationViews
from consumers.query_api.projections.inventory import InventoryViews
from consumers.query_api.projections.orders import OrderViews
from consumers.query_api.projections.stats import SalesWindows, StateCounts
from consumers.query_api.settings import QuerySettings
from consumers.query_api.stream import Broadcaster

ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


def get_orders(request: Request) -> OrderViews:
    """The orders read model."""
    views: OrderViews = request.app.state.orders
    return views


def get_inventory(request: Request) -> InventoryViews:
    """The inventory read model."""
    views: InventoryViews = request.app.state.inventory
    return views


def get_customers(request: Request) -> CustomerViews:
    """The customers read model."""
    views: CustomerViews = request.app.state.customers
    return views


def get_notifications(request: Request) -> NotificationViews:
    """The notifications read model."""
    views: NotificationViews = request.app.state.notifications
    return views


def get_state_counts(request: Request) -> StateCounts:
    """Orders per state."""
    counts: StateCounts = request.app.state.state_counts
    return counts


def get_sales(request: Request) -> SalesWindows:
    """Sales per sku per minute."""
    sales: SalesWindows = request.app.state.sales
    return sales


def get_broadcaster(request: Request) -> Broadcaster:
    """The fan-out of changes to stream clients."""
    hub: Broadcaster = request.app.state.broadcaster
    return hub


def get_settings(request: Request) -> QuerySettings:
    """The app's settings."""
    settings: QuerySettings = request.app.state.settings
    return settings


OrdersDep = Annotated[OrderViews, Depends(get_orders)]
InventoryDep = Annotated[InventoryViews, Depends(get_inventory)]
CustomersDep = Annotated[CustomerViews, Depends(get_customers)]
NotificationsDep = Annotated[NotificationViews, Depends(get_notifications)]
StateCountsDep = Annotated[StateCounts, Depends(get_state_counts)]
SalesDep = Annotated[SalesWindows, Depends(get_sales)]
BroadcasterDep = Annotated[Broadcaster, Depends(get_broadcaster)]
SettingsDep = Annotated[QuerySettings, Depends(get_settings)]
PathId = Annotated[str, Path(pattern=ID_PATTERN)]
