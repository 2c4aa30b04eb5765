"""Customers as last set, and each customer's notifications, newest first."""

from __future__ import annotations

from typing import Any

from consumers.query_api.projections.base import Headers
from schemas.clock import iso
from schemas.topics import Topics


class CustomerViews:
    """The latest ``Customer`` record per customer_id."""

    topic = Topics.CUSTOMERS

    def __init__(self) -> None:
        self._views: dict[str, dict[str, Any]] = {}

    def get(self, customer_id: str) -> dict[str, Any] | None:
        """The customer as last set, if known."""
        return self._views.get(customer_id)

    def apply(self, key: str | None, record: dict[str, Any], headers: Headers = ()) -> None:
        """Replace the customer's view (PUT replaces)."""
        self._views[record["customer_id"]] = {**record, "updated_at": iso(record["updated_at"])}


class NotificationViews:
    """Each customer's notifications, once per notification_id, in arrival order."""

    topic = Topics.NOTIFICATIONS

    def __init__(self) -> None:
        self._by_customer: dict[str, list[dict[str, Any]]] = {}
        self._seen: set[str] = set()

    def newest(self, customer_id: str, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` notifications of the customer, newest first."""
        return self._by_customer.get(customer_id, [])[::-1][:limit]

    def apply(self, key: str | None, record: dict[str, Any], headers: Headers = ()) -> None:
        """Keep a notification unless its id was seen (redeliveries repeat ids)."""
        if record["notification_id"] in self._seen:
            return
        self._seen.add(record["notification_id"])
        view = {**record, "created_at": iso(record["created_at"])}
        self._by_customer.setdefault(record["customer_id"], []).append(view)
