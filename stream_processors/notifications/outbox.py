"""Addresses notifications with the customer's current e-mail and queues them on the batch."""

from __future__ import annotations

import logging

from faust.types import TopicT

from schemas.records import Customer
from schemas.serde import AvroSerde
from stream_processors.common.batch import NEEDS_REFERENCE, Batch, Verdict
from stream_processors.common.reference import ReferenceView
from stream_processors.notifications.metrics import UNADDRESSABLE
from stream_processors.notifications.rules import Draft

log = logging.getLogger(__name__)


class Outbox:
    """Sends drafts to ``notifications`` keyed by customer_id, or counts them when unaddressable."""

    def __init__(
        self, topic: TopicT, serde: AvroSerde, customers: ReferenceView[Customer], service: str
    ) -> None:
        self.topic = topic
        self.serde = serde
        self.customers = customers
        self.service = service

    def unknown(self, drafts: list[Draft]) -> bool:
        """Whether a draft's customer is not known (yet): the customers must be read to their end first."""
        return any(self.customers.get(draft.customer_id) is None for draft in drafts)

    def send(self, drafts: list[Draft], batch: Batch, caught_up: bool) -> Verdict | None:
        """Queue every draft on ``batch``; NEEDS_REFERENCE (nothing queued) if a customer is unknown yet.

        Once caught up, a draft whose customer is still unknown is counted and logged, not sent.
        """
        if not caught_up and self.unknown(drafts):
            return NEEDS_REFERENCE
        for draft in drafts:
            customer = self.customers.get(draft.customer_id)
            if customer is None:
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
                continue
            value = self.serde.encode(draft.addressed(customer["email"]))
            batch.send(self.topic, draft.customer_id, value)
        return None
