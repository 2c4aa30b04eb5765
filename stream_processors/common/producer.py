"""The processors' producer: a flush that leaves no queued write behind, and outputs sent together.

Faust's own flush gives up once nothing was sent for 0.1 s, so a table write queued with
``send_soon`` could still be waiting when offsets are committed: :class:`DrainingProducer` flushes
only once every queued message is with the Kafka client (``transport`` commits after it).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from faust.transport.drivers import aiokafka as driver
from faust.transport.producer import ProducerBuffer
from faust.types import FutureMessage


class DrainableBuffer(ProducerBuffer):
    """Faust's queue of messages produced with ``send_soon`` (every table write), made drainable."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.unsent = 0
        self.drained = asyncio.Event()
        self.drained.set()

    def put(self, fut: FutureMessage) -> None:
        """Queue ``fut``, counting it until it is handed to the Kafka client."""
        self.unsent += 1
        self.drained.clear()
        super().put(fut)

    async def _send_pending(self, fut: FutureMessage) -> None:
        try:
            await super()._send_pending(fut)
        finally:
            self.unsent -= 1
            if not self.unsent:
                self.drained.set()

    async def drain(self) -> None:
        """Wait until every queued message is in the Kafka client's hands."""
        await self.drained.wait()


class DrainingProducer(driver.Producer):
    """The aiokafka producer whose flush (run before every commit) first drains the buffer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        buffer = DrainableBuffer(loop=self.loop, beacon=self.beacon)
        buffer.app = self.app
        self.buffer = buffer

    async def flush(self) -> None:
        """Hand every buffered message to the client, then wait until the brokers have them all."""
        await cast(DrainableBuffer, self.buffer).drain()
        await super().flush()

    async def send_now(self) -> None:
        """Send every message handed over so far in one request per broker now, and wait for them.

        aiokafka sends a partition's batch only once its own linger has run, so the outputs of one
        batch of events, spread over many partitions, went out in many small requests (py-spy: the
        largest share of a draining processor's time was socket writes of produce requests). Its
        accumulator's ``flush_for_commit`` closes every open batch and wakes the sender, which then
        drains them all together; without it (an aiokafka upgrade), this is a plain flush.
        """
        await cast(DrainableBuffer, self.buffer).drain()
        accumulator = getattr(self._producer, "_message_accumulator", None)
        if accumulator is None or not hasattr(accumulator, "flush_for_commit"):
            await super().flush()
            return
        await accumulator.flush_for_commit()
