"""Metrics of the notifications processor that the shared ones (infra.metrics) do not cover."""

from prometheus_client import Counter

UNADDRESSABLE = Counter(
    "shopstream_notifications_unaddressable_total",
    "Notifications not sent because their customer is unknown (no e-mail to send to)",
    ["service", "kind"],
)
