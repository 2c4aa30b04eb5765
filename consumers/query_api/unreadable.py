"""What query-api does with a record it cannot read: counts it, logs where it was, and reads on.

query-api writes nothing (SPEC §1), so no dead letter: the metric and a log line naming topic,
partition and offset are what an operator gets. The read models are rebuilt from Kafka anyway.
"""

from __future__ import annotations

import logging

from aiokafka import ConsumerRecord

from infra.metrics import UNREADABLE

SERVICE = "query-api"


def skip(log: logging.Logger, message: str, record: ConsumerRecord[bytes, bytes], error: Exception) -> None:
    """Count ``record`` unreadable and log ``message`` on ``log`` with where it was and why."""
    UNREADABLE.labels(SERVICE, record.topic).inc()
    where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
    log.warning(message, extra={**where, "error": str(error)})
