"""Every Prometheus metric the services share, defined once (labels name the service)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_IN = Counter("shopstream_events_consumed_total", "Records consumed", ["service", "topic"])
EVENTS_OUT = Counter(
    "shopstream_events_published_total", "Records acknowledged by Kafka", ["service", "topic"]
)
DEAD_LETTERS = Counter(
    "shopstream_dead_letters_total", "Records sent to dead-letters", ["service", "topic", "kind"]
)
UNREADABLE = Counter(
    "shopstream_unreadable_records_total", "Records a read model skipped as undecodable", ["service", "topic"]
)
LAG = Gauge("shopstream_consumer_lag", "Records behind the end offsets", ["service", "topic"])
PROCESSING_SECONDS = Histogram(
    "shopstream_processing_seconds", "Time to apply one record", ["service", "topic"]
)
