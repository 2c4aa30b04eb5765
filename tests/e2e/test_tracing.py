"""SPEC §5: the W3C trace context of an HTTP request is carried in Kafka record headers to the notification.

A POST with a ``traceparent`` of our own: its trace id must be on the order-requests record, on every
version of the order on ``orders``, on the three validations, and on the notification, each read from
Kafka; query-api's view of the order gives it too. A processor continues the trace (with its own
span when spans are exported; here, with no exporter, the context is handed on as it came).
"""

from __future__ import annotations

import secrets

import pytest

from schemas import trace_context
from schemas.topics import Topics
from tests.e2e.conftest import System
from tests.e2e.shop import Shop, uid
from tests.helpers.kafka import read_to_end

pytestmark = pytest.mark.e2e


async def test_a_request_trace_id_reaches_every_record_of_the_order(system: System, shop: Shop) -> None:
    customer = await shop.customer()
    sku = await shop.stock(10)
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    order_id = uid("traced")
    body = {
        "order_id": order_id,
        "customer_id": customer,
        "currency": "EUR",
        "items": [{"sku": sku, "quantity": 1, "unit_price_cents": 700}],
    }
    r = await shop.ingest.post("/v1/orders", json=body, headers={"traceparent": traceparent})
    assert r.status_code == 202, r.text
    view = await shop.wait(order_id, "VALIDATED")
    assert (view["version"], view["trace_id"]) == (2, trace_id)  # query-api: its latest version's trace
    await shop.notifications(customer, "ORDER_CONFIRMED", order_id)

    names = {spec.name: spec.full_name(system.topic_prefix) for spec in _TOPICS}
    records = await read_to_end([system.kafka], list(names.values()))

    def traces(topic: str, key: str) -> list[str | None]:
        return [
            trace_context.trace_id(r.headers)
            for r in records
            if r.topic == names[topic] and r.key == key.encode()
        ]

    assert traces("order-requests", order_id) == [trace_id]
    assert traces("orders", order_id) == [trace_id, trace_id]  # CREATED, VALIDATED
    assert traces("order-validations", order_id) == [trace_id] * 3  # DETAILS, INVENTORY, FRAUD
    assert traces("notifications", customer) == [trace_id]  # ORDER_CONFIRMED


_TOPICS = (Topics.ORDER_REQUESTS, Topics.ORDERS, Topics.ORDER_VALIDATIONS, Topics.NOTIFICATIONS)
