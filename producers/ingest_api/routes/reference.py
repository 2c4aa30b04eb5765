"""Reference data set by operators: customers and stock levels."""

from fastapi import APIRouter, Request, status

from infra.http import PathId
from producers.ingest_api import deps, events
from producers.ingest_api.models import Accepted, CustomerIn, InventoryIn
from schemas.topics import Topics

router = APIRouter(prefix="/v1", tags=["reference data"])


@router.put("/customers/{customer_id}", status_code=status.HTTP_202_ACCEPTED)
async def put_customer(customer_id: PathId, body: CustomerIn, request: Request) -> Accepted:
    """Set a customer (replacing any earlier version); 202 once the event is durably in Kafka."""
    await deps.publish(request, Topics.CUSTOMERS, customer_id, events.customer(customer_id, body))
    return Accepted()


@router.put("/inventory/{sku}", status_code=status.HTTP_202_ACCEPTED)
async def put_inventory(sku: PathId, body: InventoryIn, request: Request) -> Accepted:
    """Set the stock on hand of a sku; reservations are left as they are."""
    await deps.publish(request, Topics.INVENTORY_LEVELS, sku, events.inventory_level(sku, body))
    return Accepted()
