"""Dependencies of query-api routes, as Annotated aliases over what ``create_app`` keeps in app.state."""

from typing import Annotated

from fastapi import Depends

from consumers.query_api.lag import LagMonitor
from consumers.query_api.projections.customers import CustomerViews, NotificationViews
from consumers.query_api.projections.inventory import InventoryViews
from consumers.query_api.projections.orders import OrderViews
from consumers.query_api.projections.stats import SalesWindows, StateCounts
from consumers.query_api.settings import QuerySettings
from consumers.query_api.stream import Broadcaster
from infra.http import from_state

OrdersDep = Annotated[OrderViews, Depends(from_state("orders"))]
InventoryDep = Annotated[InventoryViews, Depends(from_state("inventory"))]
CustomersDep = Annotated[CustomerViews, Depends(from_state("customers"))]
NotificationsDep = Annotated[NotificationViews, Depends(from_state("notifications"))]
StateCountsDep = Annotated[StateCounts, Depends(from_state("state_counts"))]
SalesDep = Annotated[SalesWindows, Depends(from_state("sales"))]
BroadcasterDep = Annotated[Broadcaster, Depends(from_state("broadcaster"))]
LagDep = Annotated[LagMonitor, Depends(from_state("lag"))]
SettingsDep = Annotated[QuerySettings, Depends(from_state("settings"))]
