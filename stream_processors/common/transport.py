"""Faust, with one promise restored: an event's offset is committed only once it was processed.

The fault tests found events Faust committed without processing (orders acknowledged over HTTP
that never reached ``orders``, a payment that never counted), in three ways, closed here:

1. **Skipped events were acked.** Faust's stream skips the events it fetched before a rebalance
   (their generation is over, or flow is suspended while partitions move) and acks them "so the
   lag does not grow"; a commit can then move past them although no agent saw them.
   :class:`RebalanceSafeConsumer` refuses such an ack (Faust marks a message ``tracked`` only
   when it hands it to a stream), holds the partition's commits below the skipped offset, and, if
   the event is not fetched again after the rebalance, seeks back to it. Handlers are idempotent,
   so the events after it, fetched again too, are harmlessly processed twice.
2. **The Cython stream iterator acks on its own**, around the consumer: :class:`PythonAckStream`
   iterates with Faust's pure-Python iterator, whose acks go through the consumer above.
3. **The commit did not wait for table writes.** Table writes are queued in a buffer, and Faust's
   flush before a commit gives up once nothing was sent for 0.1 s. :class:`DrainingProducer`
   flushes only when every queued message is with the Kafka client, and then waits for the
   brokers, so a commit never covers a table write that can still be lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar, cast

import faust
from faust.transport.drivers import aiokafka as driver
from faust.transport.producer import ProducerBuffer
from faust.types import TP, ConsumerT, FutureMessage, Message, ProducerT

log = logging.getLogger(__name__)
REFETCH_AFTER_S = 5.0  # a skipped event not fetched again by then is sought back to


class RebalanceSafeConsumer(driver.Consumer):
    """Commits only offsets below which every fetched event was processed."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.skipped: dict[TP, dict[int, float]] = {}  # offset → when it was skipped

    def ack(self, message: Message) -> bool:
        """Mark ``message`` safe to commit; a skipped one instead holds commits until reprocessed."""
        tp = message.tp
        if not message.tracked:
            self.skipped.setdefault(tp, {}).setdefault(message.offset, time.monotonic())
            return False
        pending = self.skipped.get(tp)
        if pending is not None:
            pending.pop(message.offset, None)
            if not pending:
                del self.skipped[tp]
        return super().ack(message)

    def _new_offset(self, tp: TP) -> int | None:
        pending = self.skipped.get(tp)
        if pending:
            committed = self._committed_offset[tp]
            for offset in [o for o in pending if committed is not None and o < committed]:
                del pending[offset]  # already committed by whoever processed it
            if pending:
                return None
            del self.skipped[tp]
        return super()._new_offset(tp)

    async def on_partitions_assigned(self, assigned: set[TP], generation_id: int = 0) -> None:
        """Forget skipped events of partitions now owned by others, then take the new ones."""
        self.forget_unassigned(assigned)
        await super().on_partitions_assigned(assigned, generation_id)

    def forget_unassigned(self, assigned: set[TP]) -> None:
        """Drop the skipped events of partitions not in ``assigned``: their new owner reads them."""
        for tp in [tp for tp in self.skipped if tp not in assigned]:
            del self.skipped[tp]

    async def commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        """Seek back to skipped events that were not fetched again, then commit what is safe."""
        await self.refetch_skipped()
        return await super().commit(topics, start_new_transaction=start_new_transaction)

    async def refetch_skipped(self, now: float | None = None) -> list[tuple[TP, int]]:
        """Seek each partition to its oldest skipped event if it waited past ``REFETCH_AFTER_S``."""
        if not self.app.flow_control.is_active():
            return []  # a rebalance is under way: it seeks to the committed offsets itself
        now = time.monotonic() if now is None else now
        assignment = self.assignment()
        sought = []
        for tp, pending in list(self.skipped.items()):
            if tp in assignment and pending and now - min(pending.values()) >= REFETCH_AFTER_S:
                offset = min(pending)
                log.warning(
                    "event skipped in a rebalance not fetched again; seeking back",
                    extra={"tp": str(tp), "offset": offset},
                )
                await self.seek(tp, offset)
                self.skipped[tp] = dict.fromkeys(pending, now)
                sought.append((tp, offset))
        return sought


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


class RebalanceSafeTransport(driver.Transport):
    """The aiokafka transport with the consumer and producer above."""

    Consumer: ClassVar[type[ConsumerT]] = RebalanceSafeConsumer
    Producer: ClassVar[type[ProducerT]] = DrainingProducer


class PythonAckStream(faust.Stream):  # type: ignore[type-arg]
    """A stream whose acks go through the consumer (the pure-Python iterator), never around it."""

    def __aiter__(self) -> AsyncIterator[Any]:
        iterator = self._py_aiter()
        self._active_agens.add(cast(Any, iterator))  # closed on stop, as Faust's own __aiter__ does
        return iterator
