"""The lock serialising start/stop of local Kafka nodes (``<local>/kafka/.lock``)."""

from infra.local_kafka.layout import kafka_dir
from infra.locking import FileLock

exclusive = FileLock(lambda: kafka_dir() / ".lock")
