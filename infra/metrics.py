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
CONSUMER_LAG = Gauge(
    "shopstream_consumer_lag_records",
    "End offset (high watermark) minus the next offset to process, per assigned partition",
    ["service", "topic", "partition"],
)
OLDEST_UNPROCESSED_AGE = Gauge(
    "shopstream_consumer_oldest_unprocessed_age_seconds",
    "Now minus the timestamp of the partition's oldest record not yet processed; 0 when caught up",
    ["service", "topic", "partition"],
)
COMMIT_SECONDS = Histogram(
    "shopstream_commit_latency_seconds",
    "Time of each offset commit sent to the broker, its pre-commit producer flush included",
    ["service"],
)
REBALANCES = Counter(
    "shopstream_rebalances_total",
    "Consumer group rebalances (partition assignments) the worker went through",
    ["service"],
)
PROCESSING_SECONDS = Histogram(
    "shopstream_processing_seconds", "Time to apply one record", ["service", "topic"]
)
REFERENCE_CATCH_UPS = Counter(
    "shopstream_reference_catch_ups_total",
    "Reads of a reference topic up to its end offsets before deciding (SPEC §3 reference data first)",
    ["service", "topic"],
)
OFFSETS_HANDED_OUT = Counter(
    "shopstream_offsets_handed_out_total",
    "Records the consumer handed to the processor's agents",
    ["service"],
)
OFFSETS_PROCESSED = Counter(
    "shopstream_offsets_processed_total", "Records the offset ledger saw processed", ["service"]
)
REFETCHES = Counter(
    "shopstream_refetches_total", "Seek-backs to fetch again events the framework dropped", ["service"]
)
