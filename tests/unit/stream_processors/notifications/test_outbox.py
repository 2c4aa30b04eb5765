"""Addressing: the current e-mail, a catch-up before giving up, and unaddressable ones counted."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, cast

from prometheus_client import REGISTRY

from schemas import store
from schemas.serde import AvroSerde, SingleObjectFraming
from stream_processors.notifications.outbox import Outbox
from stream_processors.notifications.rules import Draft

DRAFT = Draft("o-1:2:ORDER_CONFIRMED", "c-1", "o-1", "ORDER_CONFIRMED", "Your order o-1 is confirmed.", 7)
SERDE = AvroSerde("t.notifications", store.load("Notification"), SingleObjectFraming())


class Customers:
    """A customers view whose records appear only once it catches up (like a lagging reader)."""

    def __init__(self, now: dict[str, Any], after_catch_up: dict[str, Any]) -> None:
        self.data = dict(now)
        self.later = after_catch_up
        self.catch_ups: list[float] = []

    def get(self, key: str) -> dict[str, Any] | None:
        return self.data.get(key)

    async def catch_up(self, timeout_s: float) -> bool:
        self.catch_ups.append(timeout_s)
        self.data.update(self.later)
        return True


class Topic:
    """Records what is sent; each send is acknowledged at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def send(self, *, key: str, value: bytes) -> asyncio.Future[None]:
        self.sent.append((key, value))
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acked.set_result(None)
        return acked

    def get_topic_name(self) -> str:
        return "t.notifications"


def outbox(customers: Customers, service: str) -> tuple[Outbox, Topic]:
    topic = Topic()
    return Outbox(cast(Any, topic), SERDE, cast(Any, customers), service, 5.0), topic


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_known_customer_is_addressed_without_waiting() -> None:
    service = f"test-{uuid.uuid4().hex[:6]}"
    customers = Customers({"c-1": {"email": "ann@example.com"}}, {"c-1": {"email": "newer@example.com"}})
    box, topic = outbox(customers, service)
    assert await box.send(DRAFT) is True
    assert customers.catch_ups == []
    assert [(key, SERDE.decode(value)) for key, value in topic.sent] == [
        ("c-1", DRAFT.addressed("ann@example.com"))
    ]
    labels = {"service": service, "topic": "t.notifications"}
    assert sample("shopstream_events_published_total", labels) == 1


async def test_an_unknown_customer_is_looked_up_again_after_catching_up() -> None:
    customers = Customers({}, {"c-1": {"email": "ann@example.com"}})
    box, topic = outbox(customers, f"test-{uuid.uuid4().hex[:6]}")
    assert await box.send(DRAFT) is True
    assert customers.catch_ups == [5.0]
    assert [SERDE.decode(value)["email"] for _, value in topic.sent] == ["ann@example.com"]


async def test_a_still_unknown_customer_gets_nothing_and_is_counted() -> None:
    service = f"test-{uuid.uuid4().hex[:6]}"
    customers = Customers({}, {"c-2": {"email": "someone@example.com"}})
    box, topic = outbox(customers, service)
    assert await box.send(DRAFT) is False
    assert await box.send(DRAFT) is False
    assert (customers.catch_ups, topic.sent) == ([5.0, 5.0], [])
    labels = {"service": service, "kind": "ORDER_CONFIRMED"}
    assert sample("shopstream_notifications_unaddressable_total", labels) == 2
    assert sample("shopstream_events_published_total", {"service": service, "topic": "t.notifications"}) == 0
