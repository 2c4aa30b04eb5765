"""Errors raised by the local Kafka launcher."""

from schemas.exceptions import ShopStreamError


class LocalKafkaError(ShopStreamError):
    """A local Kafka node could not be assembled, started, probed or stopped."""
