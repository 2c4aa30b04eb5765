"""Orders and what happens to them: placing, paying, cancelling, shipping."""

from fastapi import APIRouter, Response, status

from infra.http import PathId
from producers.ingest_api import events
from producers.ingest_api.deps import PublisherDep, SettingsDep
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
async def place_order(
    body: OrderIn, response: Response, publisher: PublisherDep, settings: SettingsDep
) -> OrderAccepted:
    """Place an order; ``Location`` points at its view in query-api."""
    record = events.order_placed(body, events.now())
    await publisher.publish(Topics.ORDER_REQUESTS, record["order_id"], record)
    response.headers["Location"] = (
        f"{str(settings.query_base_url).rstrip('/')}/v1/orders/{record['order_id']}"
    )
    return OrderAccepted(order_id=record["order_id"])


@router.post(":batch", status_code=status.HTTP_202_ACCEPTED)
async def place_orders(body: OrdersBatchIn, publisher: PublisherDep) -> OrdersAccepted:
    """Place up to 1000 orders at once; 202 only when every one is durably in Kafka."""
    placed_at = events.now()
    records = [events.order_placed(order, placed_at) for order in body["orders"]]
    await publisher.publish_many(Topics.ORDER_REQUESTS, [(r["order_id"], r) for r in records])
    return OrdersAccepted(order_ids=[r["order_id"] for r in records])


@router.post("/{order_id}/payments", status_code=status.HTTP_202_ACCEPTED)
async def pay(order_id: PathId, body: PaymentIn, publisher: PublisherDep) -> Accepted:
    """Record a payment; a payment_id counts once per order, so retries are safe."""
    await publisher.publish(Topics.PAYMENTS, order_id, events.payment(order_id, body))
    return Accepted()


@router.post("/{order_id}/cancel", status_code=status.HTTP_202_ACCEPTED)
async def cancel(order_id: PathId, publisher: PublisherDep) -> Accepted:
    """Ask to cancel an order; refused later (with a notification) unless it is not yet shipped."""
    await publisher.publish(Topics.ORDER_ACTIONS, order_id, events.order_action(order_id, "CANCEL"))
    return Accepted()


@router.post("/{order_id}/ship", status_code=status.HTTP_202_ACCEPTED)
async def ship(order_id: PathId, publisher: PublisherDep) -> Accepted:
    """Ask to ship an order; only a PAID order ships."""
    await publisher.publish(Topics.ORDER_ACTIONS, order_id, events.order_action(order_id, "SHIP"))
    return Accepted()
