"""Faust's aiokafka transport, with one change: a message is never committed unless processed.

Faust's stream skips the messages it fetched before a rebalance (their generation is over, or
flow is suspended while partitions move) and *acks* them, "so the lag does not grow". Their
offsets then stay in the consumer's acked list across the new assignment, and the next commit
can move past them before the copies fetched again from the committed offset are processed. A
worker killed in that window loses those events for good: the next owner starts after them.

Here such an ack is refused. The offset stays uncommitted, and the message is fetched again from
the committed offset after the rebalance (Faust seeks there during recovery) and processed then,
which the handlers, being idempotent, may safely do twice.
"""

from __future__ import annotations

from typing import ClassVar

from faust.transport.drivers import aiokafka as driver
from faust.types import ConsumerT, Message


class RebalanceSafeConsumer(driver.Consumer):
    """Acks only what was fetched and finished in the current generation, with flow running."""

    def ack(self, message: Message) -> bool:
        """Mark ``message`` safe to commit, unless it belongs to a rebalance that is over."""
        app = self.app
        if message.generation_id != app.consumer_generation_id or not app.flow_control.is_active():
            return False
        return super().ack(message)


class RebalanceSafeTransport(driver.Transport):
    """The aiokafka transport with :class:`RebalanceSafeConsumer`."""

    Consumer: ClassVar[type[ConsumerT]] = RebalanceSafeConsumer
