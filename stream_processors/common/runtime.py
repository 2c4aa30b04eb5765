"""The batch runtime every processor runs on, beneath Faust's per-event stream layer.

A processor is its inputs, its tables and a handler applying pure rules to one decoded record.
:class:`BatchRunner` reads the events Faust's consumer delivered to an agent's channel in batches
(all that are queued, up to ``batch_size``, after waiting at most ``batch_wait_ms`` for more),
and per batch:

1. decodes each record (what cannot be decoded is dead-lettered) and checks that a keyed record
   sits on its key's murmur2 partition (SPEC §2; what does not is dead-lettered, changing nothing);
2. applies the handler per record in offset order; a handler that cannot decide before its
   reference data has caught up returns :data:`NEEDS_REFERENCE`, and that record, with every later
   record of the same key, is set aside while the others go on (SPEC §3 "reference data first");
3. one reference catch-up serves every record set aside; they are then applied in their order;
4. sends the outputs without awaiting each: compacted views are coalesced to the last value per
   key (:meth:`Batch.latest`, as Kafka Streams' record cache does), and the batch waits once for
   every output to be acknowledged by the brokers, retrying transient failures;
5. runs what had to wait for those acknowledgements (:meth:`Batch.after_delivery`), then acks the
   events. Faust commits acked offsets only after its producer flush (``transport``), so a
   committed offset never covers an output or table write the brokers have not acknowledged.

Why beneath the stream: Faust's per-event iteration capped a hop near 9k records/s per core
(``make bench``). The runner keeps Faust's agents, tables, consumer, commits and worker, and does
what ``Stream._py_aiter`` does per event once per batch: skip events of an old generation, track
the rest, and set Faust's current event so table writes go to its changelog partition.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import faust
from faust.types import EventT, StreamT, TopicT

from infra import tracing
from infra.metrics import EVENTS_IN, EVENTS_OUT, PROCESSING_SECONDS
from schemas.exceptions import DecodeError
from schemas.partitions import partition_of, wrong_partition_reason
from schemas.serde import AvroSerde
from schemas.serdes import decode_waiting_for_registry
from stream_processors.common.batch import (
    NEEDS_REFERENCE,
    Batch,
    CatchUp,
    Handler,
    Input,
    Output,
    Verdict,
    set_current_event,
    text_key,
)
from stream_processors.common.dead_letters import DeadLetters, is_transient
from stream_processors.common.producer import DrainingProducer
from stream_processors.common.settings import ProcessorSettings
from stream_processors.common.transport import LedgerConsumer

log = logging.getLogger(__name__)
RETRY_S = 1.0


class BatchRunner:
    """Runs ``handler`` over an agent's stream, batch by batch (see the module docstring)."""

    def __init__(
        self,
        app: faust.App,
        dead: DeadLetters,
        decoders: Mapping[str, AvroSerde | None],
        handler: Handler,
        settings: ProcessorSettings,
        *,
        catch_up: CatchUp | None = None,
        unkeyed: frozenset[str] = frozenset(),
    ) -> None:
        """``decoders``: topic → serde (None: raw); ``unkeyed``: topics exempt from the partition check."""
        self.app = app
        self.dead = dead
        self.decoders = decoders
        self.handler = handler
        self.batch_size = settings.batch_size
        self.batch_wait_s = settings.batch_wait_ms / 1000
        self.catch_up = catch_up
        self.unkeyed = unkeyed
        self.service = dead.service
        self._topics = frozenset(decoders)
        self._queue: Any = None  # the agent's channel queue, once running
        self._busy = False

    @property
    def topics(self) -> frozenset[str]:
        """The topics the agent reads."""
        return self._topics

    @property
    def idle(self) -> bool:
        """Nothing queued for the agent and no batch in hand: what the offset ledger asks (``transport``)."""
        return not self._busy and (self._queue is None or bool(self._queue.empty()))

    async def run(self, stream: StreamT[bytes]) -> None:
        """Process the agent's events forever, one batch at a time."""
        channel: Any = stream.channel  # the agent's channel iterator, whose queue Faust's conductor fills
        self._queue = channel.queue
        consumer = self.app.consumer
        if isinstance(consumer, LedgerConsumer) and self not in consumer.readers:
            consumer.readers.append(self)
        while True:
            try:
                events = await self._next_events(channel)
                await self.process(self._admitted(events))
            except StopAsyncIteration:
                return  # the worker is stopping: its channel is closed
            finally:
                self._busy = False

    async def _next_events(self, channel: Any) -> list[EventT[bytes]]:
        """The events queued for the agent: at least one, at most ``batch_size``."""
        queue = channel.queue
        events = [await channel.__anext__()]
        self._busy = True  # events in hand from here on: not idle while waiting for more
        self._drain(queue, events)
        if len(events) < self.batch_size and self.batch_wait_s > 0:
            await asyncio.sleep(self.batch_wait_s)
            self._drain(queue, events)
        return events

    def _drain(self, queue: Any, events: list[EventT[bytes]]) -> None:
        while len(events) < self.batch_size and not queue.empty():
            events.append(queue.get_nowait())

    def _admitted(self, events: Sequence[EventT[bytes]]) -> list[EventT[bytes]]:
        """The events of the current generation, tracked; the others are left unacked (fetched again)."""
        app, consumer = self.app, self.app.consumer
        acking = app.topics.acking_topics
        generation, active = app.consumer_generation_id, app.flow_control.is_active()
        admitted = []
        for event in events:
            message = event.message
            if not active or message.generation_id != generation:
                continue  # fetched before a rebalance: Faust's stream skips these too
            if message.topic in acking and not message.tracked:
                message.tracked = True
                consumer.track_message(message)
            admitted.append(event)
        return admitted

    async def process(self, events: Sequence[EventT[bytes]]) -> None:
        """Decode, check, apply, publish and ack ``events`` (see the module docstring)."""
        if not events:
            return
        batch = Batch()
        inputs = await self._decoded(events)
        waiting: list[Input] = []
        blocked: set[str | None] = set()
        for item in inputs:
            if item.key in blocked or await self._apply(item, batch) is NEEDS_REFERENCE:
                blocked.add(item.key)
                waiting.append(item)
        if waiting:
            if self.catch_up is not None:
                await self.catch_up(max(item.timestamp_ms for item in waiting))
            for item in waiting:
                item.caught_up = True
                await self._apply(item, batch)
        await self._deliver(batch)
        for event, write in batch.deferred:
            set_current_event(event)
            write()
        set_current_event(None)
        for event in events:
            event.ack()

    async def _decoded(self, events: Sequence[EventT[bytes]]) -> list[Input]:
        """Each event decoded and on its key's partition; the others dead-lettered."""
        inputs: list[Input] = []
        counts: Counter[str] = Counter()
        for event in events:
            message = event.message
            topic = message.topic
            counts[topic] += 1
            key, bad_key = text_key(message.key)
            item = Input(
                event,
                topic,
                message.partition,
                message.offset,
                key,
                message.value,
                int(message.timestamp * 1000),
                {},
            )
            if bad_key is not None:
                await self.dead.send_input(item, "decode", bad_key)
                continue
            if key is not None and topic not in self.unkeyed:
                partitions = self.app.consumer.topic_partitions(topic) or 0
                if partitions and partition_of(key, partitions) != message.partition:
                    await self.dead.send_input(item, "partition", wrong_partition_reason(key, partitions))
                    continue
            serde = self.decoders[topic]
            if serde is not None:
                try:
                    item.record = await decode_waiting_for_registry(serde, message.value)
                except DecodeError as exc:
                    await self.dead.send_input(item, "decode", exc)
                    continue
            inputs.append(item)
        for topic, n in counts.items():
            EVENTS_IN.labels(self.service, topic).inc(n)
        return inputs

    async def _apply(self, item: Input, batch: Batch) -> Verdict | None:
        """Apply the handler once it succeeds; a record's own error dead-letters it.

        A transient Kafka error (a broker down, no quorum) is retried, holding the batch back: the
        record is good, and dead-lettering it would lose an event. Handlers are idempotent, so a
        retry after a partial attempt changes no state twice (outputs may be sent again).
        """
        set_current_event(item.event)
        batch.current, batch.source = item.event, item
        while True:
            started = time.perf_counter()
            mark = batch.mark()
            try:
                with tracing.Processing(item.topic, item.event.message.headers) as written:
                    item.trace_headers = written
                    verdict = await self.handler(item, batch)
                if verdict is NEEDS_REFERENCE:
                    batch.rollback(mark)  # applied again once caught up: nothing of it goes twice
            except Exception as exc:  # noqa: BLE001 - any failure to apply one record must not stop the stream
                batch.rollback(mark)
                if not is_transient(exc):
                    await self.dead.send_input(item, "apply", exc)
                    return None
                log.warning("Kafka unavailable; retrying", extra=self.dead.where(item, repr(exc)))
                await asyncio.sleep(RETRY_S)
                continue
            PROCESSING_SECONDS.labels(self.service, item.topic).observe(time.perf_counter() - started)
            return verdict

    @staticmethod
    async def _hand(out: Output) -> asyncio.Future[Any]:
        """Hand ``out`` to the producer: a future of the brokers' acknowledgement (or of the refusal).

        It carries the trace headers of the record it answers, so the trace goes on (SPEC §5).
        """
        headers = list(out.source.trace_headers) if out.source is not None else None
        try:
            return asyncio.ensure_future(
                await out.topic.send(
                    key=out.key, value=out.value, partition=out.partition, headers=headers or None
                )
            )
        except Exception as exc:  # noqa: BLE001 - the refusal is the outcome, judged with the others
            refused: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            refused.set_exception(exc)
            return refused

    async def _deliver(self, batch: Batch) -> None:
        """Send every output, then wait until the brokers acknowledged them all (transient errors: again)."""
        pending = [*batch.outputs, *batch.views.values()]
        while pending:
            handed = [await self._hand(out) for out in pending]  # in order: one partition keeps it
            producer = getattr(self.app, "producer", None)
            if isinstance(producer, DrainingProducer):
                await producer.send_now()  # one request per broker, not one per partition
            results = await asyncio.gather(*handed, return_exceptions=True)
            failed = []
            counts: Counter[str] = Counter()
            refused: dict[int, tuple[Input, BaseException]] = {}
            for out, result in zip(pending, results, strict=True):
                if not isinstance(result, BaseException):
                    counts[out.topic.get_topic_name()] += 1
                elif is_transient(result):
                    failed.append(out)
                elif out.source is not None:
                    refused.setdefault(id(out.source), (out.source, result))
                else:
                    raise result
            for source, error in refused.values():  # refused for good (too large, say): never accepted
                await self.dead.send_input(source, "deliver", error)
            for topic, n in counts.items():
                EVENTS_OUT.labels(self.service, topic).inc(n)
            if failed:
                log.warning("outputs not acknowledged; sending them again", extra={"count": len(failed)})
                await asyncio.sleep(RETRY_S)
            pending = failed


def batch_agent(app: faust.App, name: str, channel: TopicT, runner: BatchRunner) -> None:
    """Register an agent named ``name`` over ``channel`` whose events ``runner`` processes in batches."""

    async def agent(stream: StreamT[bytes]) -> None:
        await runner.run(stream)

    agent.__name__ = agent.__qualname__ = name.replace("-", "_")
    app.agent(channel, name=name)(agent)
