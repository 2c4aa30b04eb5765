"""Addresses notifications with the customer's current e-mail and publishes them, acknowledged."""

from __future__ import annotations

import logging

from faust.types import TopicT

from infra.metrics import EVENTS_OUT
from schemas.serde import AvroSerde
from stream_processors.common.reference import ReferenceView
from stream_processors.notifications.metrics import UNADDRESSABLE
from stream_processors.notifications.rules import Draft

log = logging.getLogger(__name__)


class Outbox:
    """Sends drafts to ``notifications`` keyed by customer_id, or counts them when unaddressable."""

    def __init__(
        self, topic: TopicT, serde: AvroSerde, customers: ReferenceView, service: str, wait_s: float
    ) -> None:
        self.topic = topic
        self.serde = serde
        self.customers = customers
        self.service = service
        self.wait_s = wait_s

    async def email_of(self, customer_id: str) -> str | None:
        """The customer's e-mail as last set; reads customers to their end first if not known yet."""
        customer = self.customers.get(customer_id)
        if customer is None:
            await self.customers.catch_up(self.wait_s)
            customer = self.customers.get(customer_id)
        return None if customer is None else str(customer["email"])

    async def send(self, draft: Draft) -> bool:
        """Publish ``draft`` and wait for Kafka's acknowledgement; False if it cannot be addressed."""
        email = await self.email_of(draft.customer_id)
        if email is None:
            UNADDRESSABLE.labels(self.service, draft.kind).inc()
            log.warning(
                "notification not sent: unknown customer",
                extra={
                    "customer_id": draft.customer_id,
                    "order_id": draft.order_id,
                    "notification_id": draft.notification_id,
                    "kind": draft.kind,
                },
            )
            return False
        value = self.serde.encode(draft.addressed(email))
        # acknowledged before the caller remembers the event as handled: a crash in between
        # redelivers it and repeats the notification (same id) rather than losing it
        await (await self.topic.send(key=draft.customer_id, value=value))
        EVENTS_OUT.labels(self.service, self.topic.get_topic_name()).inc()
        return True
