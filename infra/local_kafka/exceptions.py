"""Errors raised by the local Kafka launcher."""


class LocalKafkaError(Exception):
    """A local Kafka node could not be assembled, started, probed or stopped."""
