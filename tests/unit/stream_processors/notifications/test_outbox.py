"""Addressing: the current e-mail, waiting for the customers to catch up, unaddressable ones counted.

The outbox only queues notifications on the batch; their delivery (and its count) is the
runtime's, tested in tests/unit/stream_processors/common/test_runtime.py.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from prometheus_client import REGISTRY

from schemas import store
from schemas.serde import AvroSerde, SingleObjectFraming
from stream_processors.common.batch import NEEDS_REFERENCE, Batch
from stream_processors.notifications.outbox import Outbox
from stream_processors.notifications.rules import Draft

DRAFT = Draft("o-1:2:ORDER_CONFIRMED", "c-1", "o-1", "ORDER_CONFIRMED", "Your order o-1 is confirmed.", 7)
OTHER = Draft("o-2:3:ORDER_SHIPPED", "c-2", "o-2", "ORDER_SHIPPED", "Your order o-2 has shipped.", 8)
SERDE = AvroSerde("t.notifications", store.load("Notification"), SingleObjectFraming())
TOPIC = object()  # the notifications topic: the outbox only hands it to the batch


class Customers:
    """The customers view, as far as it has been read."""

    def __init__(self, known: dict[str, dict[str, Any]]) -> None:
        self.data = dict(known)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.data.get(key)


def outbox(customers: Customers) -> tuple[Outbox, str]:
    service = f"test-{uuid.uuid4().hex[:6]}"
    return Outbox(cast(Any, TOPIC), SERDE, cast(Any, customers), service), service


def queued(batch: Batch) -> list[tuple[object, str | None, dict[str, Any], int | None]]:
    return [(out.topic, out.key, SERDE.decode(out.value), out.partition) for out in batch.outputs]


def unaddressable(service: str, kind: str) -> float:
    labels = {"service": service, "kind": kind}
    return REGISTRY.get_sample_value("shopstream_notifications_unaddressable_total", labels) or 0.0


def test_a_known_customer_is_addressed_with_the_current_email_keyed_by_customer() -> None:
    customers = Customers({"c-1": {"email": "ann@example.com"}})
    box, _ = outbox(customers)
    batch = Batch()
    assert box.unknown([DRAFT]) is False
    assert box.send([DRAFT], batch, caught_up=False) is None
    customers.data["c-1"] = {"email": "newer@example.com"}
    assert box.send([DRAFT], batch, caught_up=False) is None
    assert queued(batch) == [
        (TOPIC, "c-1", DRAFT.addressed("ann@example.com"), None),
        (TOPIC, "c-1", DRAFT.addressed("newer@example.com"), None),
    ]
    assert (batch.views, batch.deferred) == ({}, [])


def test_an_unknown_customer_needs_the_reference_and_nothing_is_queued_or_counted() -> None:
    box, service = outbox(Customers({"c-1": {"email": "ann@example.com"}}))
    batch = Batch()
    assert box.unknown([DRAFT, OTHER]) is True
    # the known customer's draft waits too: the record's drafts go together, once
    assert box.send([DRAFT, OTHER], batch, caught_up=False) is NEEDS_REFERENCE
    assert batch.outputs == []
    assert unaddressable(service, "ORDER_SHIPPED") == 0


def test_a_customer_read_during_the_catch_up_is_addressed() -> None:
    customers = Customers({"c-1": {"email": "ann@example.com"}})
    box, service = outbox(customers)
    batch = Batch()
    assert box.send([DRAFT, OTHER], batch, caught_up=False) is NEEDS_REFERENCE
    customers.data["c-2"] = {"email": "bob@example.com"}  # what the catch-up read
    assert box.send([DRAFT, OTHER], batch, caught_up=True) is None
    assert queued(batch) == [
        (TOPIC, "c-1", DRAFT.addressed("ann@example.com"), None),
        (TOPIC, "c-2", OTHER.addressed("bob@example.com"), None),
    ]
    assert unaddressable(service, "ORDER_SHIPPED") == 0


def test_a_customer_still_unknown_after_the_catch_up_gets_nothing_and_is_counted() -> None:
    box, service = outbox(Customers({"c-1": {"email": "ann@example.com"}}))
    batch = Batch()
    assert box.send([DRAFT, OTHER], batch, caught_up=True) is None
    assert box.send([OTHER], batch, caught_up=True) is None
    assert queued(batch) == [(TOPIC, "c-1", DRAFT.addressed("ann@example.com"), None)]
    assert unaddressable(service, "ORDER_SHIPPED") == 2
    assert unaddressable(service, "ORDER_CONFIRMED") == 0
