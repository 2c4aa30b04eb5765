"""The topic registry: every topic of the system, its key, value record and cleanup policy.

Services import topics from here and never spell a topic name themselves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: base name, what its (UTF-8 string) keys are, value record, cleanup and partitions.

    ``partitions`` None means the deployment's default (``KAFKA_PARTITIONS``, 6 unless set).
    """

    name: str
    key: str
    value: str | None
    compacted: bool = False
    partitions: int | None = None
    doc: str = ""

    @property
    def cleanup_policy(self) -> str:
        """Kafka's ``cleanup.policy`` of this topic."""
        return "compact" if self.compacted else "delete"

    def full_name(self, prefix: str = "") -> str:
        """The topic's name on the cluster, with the deployment's prefix."""
        return f"{prefix}{self.name}"


class Topics:
    """Every topic of SPEC §2."""

    CUSTOMERS = TopicSpec("customers", "customer_id", "Customer", compacted=True)
    INVENTORY_LEVELS = TopicSpec("inventory-levels", "sku", "InventoryLevel", compacted=True)
    ORDER_REQUESTS = TopicSpec("order-requests", "order_id", "OrderPlaced")
    PAYMENTS = TopicSpec("payments", "order_id", "Payment")
    ORDER_ACTIONS = TopicSpec("order-actions", "order_id", "OrderAction")
    ORDERS = TopicSpec("orders", "order_id", "Order", compacted=True)
    ORDER_REJECTIONS = TopicSpec("order-rejections", "order_id", "OrderRejection")
    ORDER_VALIDATIONS = TopicSpec("order-validations", "order_id", "OrderValidation")
    INVENTORY = TopicSpec("inventory", "sku", "InventoryView", compacted=True)
    NOTIFICATIONS = TopicSpec("notifications", "customer_id", "Notification")
    SALES_PER_MINUTE = TopicSpec("sales-per-minute", "sku", "SalesWindow")
    ORDER_COUNTS = TopicSpec("order-counts", "state", "StateCount", compacted=True)
    DEAD_LETTERS = TopicSpec(
        "dead-letters", "original key", None, doc="original bytes; headers name source and error"
    )
    DEAD_LETTER_REDRIVES = TopicSpec(
        "dead-letter-redrives",
        "dead letter id",
        "DeadLetterRedrive",
        compacted=True,
        doc="each dead letter sent back to its source topic, once (written by python -m ops)",
    )


ALL: tuple[TopicSpec, ...] = tuple(v for v in vars(Topics).values() if isinstance(v, TopicSpec))
