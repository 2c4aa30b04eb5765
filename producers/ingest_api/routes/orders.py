"""Orders and what happens to them: placing, paying, cancelling, shipping."""

from fastapi import APIRouter, Request, Response, status

from infra.http import PathId
from producers.ingest_api import deps, events
from producers.ingest_api.models import (
    Accepted,
    OrderAccepted,
    OrderIn,
    OrdersAccepted,
    OrdersBatchIn,
    PaymentIn,
)
from schemas.topics import Topics

router = APIRouter(prefix="/v1/orders", tags=["orders"])


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def place_order(body: OrderIn, request: Request, response: Response) -> OrderAccepted:
    """Place an order; ``Location`` points at its view in query-api."""
    record = events.order_placed(body, events.now())
    await deps.publish(request, Topics.ORDER_REQUESTS, record["order_id"], record)
    query_base_url = str(deps.settings(request).query_base_url).rstrip("/")
    response.headers["Location"] = f"{query_base_url}/v1/orders/{record['order_id']}"
    return OrderAccepted(order_id=record["order_id"])


@router.post(":batch", status_code=status.HTTP_202_ACCEPTED)
async def place_orders(body: OrdersBatchIn, request: Request) -> OrdersAccepted:
    """Place up to 1000 orders at once; 202 only when every one is durably in Kafka."""
    placed_at = events.now()
    records = [events.order_placed(order, placed_at) for order in body["orders"]]
    await deps.publisher(request).publish_many(
        Topics.ORDER_REQUESTS, [(r["order_id"], r) for r in records], deps.trace_headers(request)
    )
    return OrdersAccepted(order_ids=[r["order_id"] for r in records])


@router.post("/{order_id}/payments", status_code=status.HTTP_202_ACCEPTED)
async def pay(order_id: PathId, body: PaymentIn, request: Request) -> Accepted:
    """Record a payment; a payment_id counts once per order, so retries are safe."""
    await deps.publish(request, Topics.PAYMENTS, order_id, events.payment(order_id, body))
    return Accepted()


@router.post("/{order_id}/cancel", status_code=status.HTTP_202_ACCEPTED)
async def cancel(order_id: PathId, request: Request) -> Accepted:
    """Ask to cancel an order: it is cancelled if it is CREATED, VALIDATED or PAID when the orders
    processor reads the request, else refused with an ACTION_REJECTED notification (SPEC §3)."""
    await deps.publish(request, Topics.ORDER_ACTIONS, order_id, events.order_action(order_id, "CANCEL"))
    return Accepted()


@router.post("/{order_id}/ship", status_code=status.HTTP_202_ACCEPTED)
async def ship(order_id: PathId, request: Request) -> Accepted:
    """Ask to ship an order: only a PAID order ships; any other is refused with an ACTION_REJECTED
    notification (SPEC §3)."""
    await deps.publish(request, Topics.ORDER_ACTIONS, order_id, events.order_action(order_id, "SHIP"))
    return Accepted()
