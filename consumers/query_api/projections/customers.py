"""Customers as last set, and each customer's notifications, newest first.

Both keep the records as read; the response models (``models.py``) show their timestamps as ISO-8601.
"""

from __future__ import annotations

from consumers.query_api.projections.base import Headers, LatestRecords
from schemas.records import Customer, Notification
from schemas.topics import Topics


class CustomerViews(LatestRecords[Customer]):
    """The latest ``Customer`` record per customer_id (PUT replaces)."""

    def __init__(self) -> None:
        super().__init__(Topics.CUSTOMERS, lambda customer: customer["customer_id"])


class NotificationViews:
    """Each customer's notifications, once per notification_id, in arrival order."""

    topic = Topics.NOTIFICATIONS

    def __init__(self) -> None:
        self._by_customer: dict[str, list[Notification]] = {}
        self._seen: set[str] = set()

    def newest(self, customer_id: str, limit: int) -> list[Notification]:
        """Up to ``limit`` notifications of the customer, newest first."""
        return self._by_customer.get(customer_id, [])[::-1][:limit]

    def apply(self, key: str | None, record: Notification, headers: Headers = ()) -> None:
        """Keep a notification unless its id was seen (redeliveries repeat ids)."""
        if record["notification_id"] in self._seen:
            return
        self._seen.add(record["notification_id"])
        self._by_customer.setdefault(record["customer_id"], []).append(record)
