"""Which e-mails an order version or a refused request is worth (SPEC §3 Notifications).

Plain functions over records; nothing here touches Kafka. What the processor remembers per order
(``Seen``: the last version handled, its paid_cents and state, the rejections already notified)
decides what is new, so a redelivered record is worth nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypedDict

from schemas.clock import EpochMillis
from schemas.records import Notification, NotificationKind, Order, OrderRejection, OrderState
from stream_processors.notifications import texts


class Seen(TypedDict, total=False):
    """What was notified of an order (the ``seen`` table's value): its order versions, its rejections."""

    version: int  # the last version handled
    paid_cents: int  # of that version
    state: OrderState  # of that version
    rejections: list[str]  # the rejection_ids notified


_BY_STATE: dict[OrderState, tuple[NotificationKind, Callable[[Order], str]]] = {
    "VALIDATED": ("ORDER_CONFIRMED", texts.confirmed),
    "FAILED": ("ORDER_FAILED", texts.failed),
    "SHIPPED": ("ORDER_SHIPPED", texts.shipped),
    "CANCELLED": ("ORDER_CANCELLED", texts.cancelled),
}


@dataclass(frozen=True)
class Draft:
    """A notification before it is addressed: everything but the e-mail."""

    notification_id: str
    customer_id: str
    order_id: str
    kind: NotificationKind
    text: str
    created_at: EpochMillis

    def addressed(self, email: str) -> Notification:
        """The ``Notification`` record sent to ``email``."""
        return {
            "notification_id": self.notification_id,
            "customer_id": self.customer_id,
            "email": email,
            "order_id": self.order_id,
            "kind": self.kind,
            "text": self.text,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Decision:
    """The notifications to publish, then what to remember of the order (None: nothing changed)."""

    drafts: list[Draft] = field(default_factory=list)
    seen: Seen | None = None


#: what an event is worth, given what was notified of its order before (``on_order``, ``on_rejection``)
Decide = Callable[[Seen | None], Decision]


def _of_order(order: Order, kind: NotificationKind, text: str) -> Draft:
    """A draft about one version of ``order``; its id names order, version and kind."""
    return Draft(
        notification_id=f"{order['order_id']}:{order['version']}:{kind}",
        customer_id=order["customer_id"],
        order_id=order["order_id"],
        kind=kind,
        text=text,
        created_at=order["updated_at"],
    )


def on_order(order: Order, seen: Seen | None) -> Decision:
    """PAYMENT_RECEIVED if paid_cents rose, then the new state's kind if the state changed.

    A version not above the last one handled is a redelivery: nothing.
    """
    before: Seen = seen or {}
    if order["version"] <= before.get("version", 0):
        return Decision()
    drafts = []
    paid, paid_before = order.get("paid_cents", 0), before.get("paid_cents", 0)
    if paid > paid_before:
        drafts.append(_of_order(order, "PAYMENT_RECEIVED", texts.payment_received(order, paid_before)))
    by_state = _BY_STATE.get(order["state"])
    if by_state is not None and order["state"] != before.get("state"):
        kind, text = by_state
        drafts.append(_of_order(order, kind, text(order)))
    after: Seen = {**before, "version": order["version"], "paid_cents": paid, "state": order["state"]}
    return Decision(drafts, after)


def on_rejection(rejection: OrderRejection, seen: Seen | None) -> Decision:
    """ACTION_REJECTED, once per rejection_id of an order (a repeat is the same rejection)."""
    before: Seen = seen or {}
    notified = before.get("rejections", [])
    if rejection["rejection_id"] in notified:
        return Decision()
    draft = Draft(
        notification_id=f"{rejection['order_id']}:rejected:{rejection['rejection_id']}",
        customer_id=rejection["customer_id"],
        order_id=rejection["order_id"],
        kind="ACTION_REJECTED",
        text=texts.rejected(rejection),
        created_at=rejection["rejected_at"],
    )
    return Decision([draft], {**before, "rejections": [*notified, rejection["rejection_id"]]})
