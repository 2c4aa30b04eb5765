"""Reads every partition of the read models' topics from the start and applies each record.

No consumer group: every replica reads everything, so replicas answer alike and need no
coordination. It reads committed records only: the one transactional writer (``python -m ops
dead-letters redrive``) may abort, and what it aborted never happened. Ready means caught up to
the end offsets seen when reading began. query-api's supervisor runs ``Materializer.run`` and
runs it again after a failure; a new run goes on from where the last one stopped.

After each fetch, before applying it and again after, it sets ``shopstream_consumer_lag_records``
of every partition: the last stable offset the fetch responses carry (the end of what a read_committed
consumer may read; the end offsets read at start until one came) minus the next offset to apply
(the first record fetched, else the consumer's position). No request of its own: the consumer
fetches every partition all the time. A batch that fails to apply keeps showing as lag.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError, UnknownTopicOrPartitionError

from consumers.query_api import unreadable
from consumers.query_api.projections.base import AnyProjection, RawProjection
from infra.metrics import CONSUMER_LAG, EVENTS_IN
from infra.settings import KafkaSettings
from infra.topics import partitions_of
from schemas.exceptions import DecodeError
from schemas.serde import AvroSerde
from schemas.serdes import Serdes, decode_waiting_for_registry

log = logging.getLogger(__name__)
SERVICE = unreadable.SERVICE


class Materializer:
    """Owns one consumer feeding every projection; ``caught_up`` drives readiness."""

    def __init__(
        self,
        kafka: KafkaSettings,
        serdes: Serdes,
        projections: Iterable[AnyProjection],
        raw: Iterable[RawProjection] = (),
    ) -> None:
        self._kafka = kafka
        self._routes: dict[str, tuple[AnyProjection, AvroSerde] | RawProjection] = {
            p.topic.full_name(kafka.topic_prefix): (p, serdes(p.topic)) for p in projections
        }
        self._routes.update({p.topic.full_name(kafka.topic_prefix): p for p in raw})
        self._targets: dict[TopicPartition, int] | None = None
        self._next: dict[TopicPartition, int] = {}  # per partition, the first offset not applied yet
        self.caught_up = False

    async def run(self) -> None:
        """Apply records until cancelled or failed, from where the last run stopped (Kafka retried)."""
        consumer = await self._connect()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=5000)
                await self._export_lag(consumer, {tp: got[0].offset for tp, got in batches.items() if got})
                for tp, messages in batches.items():
                    route = self._routes[tp.topic]
                    for message in messages:
                        if isinstance(route, tuple):
                            await self._apply(*route, message)
                        else:
                            route.apply_raw(message)
                            EVENTS_IN.labels(SERVICE, tp.topic).inc()
                    # after the whole batch: a run that fails inside it applies it again (idempotent)
                    self._next[tp] = messages[-1].offset + 1
                await self._export_lag(consumer, {})
                if not self.caught_up:
                    self.caught_up = await self._check_caught_up(consumer)
        finally:
            self.caught_up = False  # read models that stop reading fall behind
            await consumer.stop()

    async def _connect(self) -> AIOKafkaConsumer:
        """A started consumer assigned to every partition of our topics, where the last run stopped."""
        while True:
            consumer = AIOKafkaConsumer(
                **self._kafka.client_options(),
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=5000,
                isolation_level="read_committed",
            )
            try:
                await consumer.start()
                counts = await partitions_of(self._kafka, self._routes)
                missing = sorted(set(self._routes) - set(counts))
                if missing:
                    raise UnknownTopicOrPartitionError(f"topics not created yet: {missing}")
                tps = [TopicPartition(t, p) for t, n in counts.items() for p in range(n)]
                consumer.assign(tps)
                await self._seek(consumer, tps)
                self._targets = await consumer.end_offsets(tps)
                return consumer
            except KafkaError as exc:
                log.warning("cannot read from Kafka yet", extra={"error": repr(exc)})
                await consumer.stop()
                await asyncio.sleep(1)
            except BaseException:  # failed otherwise, or cancelled: close the connection on the way out
                await consumer.stop()
                raise

    async def _seek(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> None:
        """Partitions read before go on from their next offset; the others start at the beginning."""
        unread = [tp for tp in tps if tp not in self._next]
        if unread:  # no arguments would mean every assigned partition
            await consumer.seek_to_beginning(*unread)
        for tp in tps:
            if tp in self._next:
                consumer.seek(tp, self._next[tp])

    async def _apply(
        self, projection: AnyProjection, serde: AvroSerde, message: ConsumerRecord[bytes, bytes]
    ) -> None:
        """Decode and apply one record; an unreadable one is counted, logged and skipped."""
        try:
            key = message.key.decode() if message.key is not None else None  # SPEC §2: UTF-8 text
            record = await decode_waiting_for_registry(serde, message.value)
        except (DecodeError, UnicodeDecodeError) as exc:
            unreadable.skip(log, "unreadable record skipped", message, exc)
            return
        projection.apply(key, record, message.headers)
        EVENTS_IN.labels(SERVICE, message.topic).inc()

    async def _check_caught_up(self, consumer: AIOKafkaConsumer) -> bool:
        """Whether every partition has reached the end offset seen at start."""
        assert self._targets is not None  # noqa: S101 - set before reading begins
        for tp, target in self._targets.items():
            if await consumer.position(tp) < target:
                return False
        return True

    async def _export_lag(self, consumer: AIOKafkaConsumer, fetched: dict[TopicPartition, int]) -> None:
        """Each partition's lag: its latest known end minus the next offset to apply.

        ``fetched``: the first offset of each partition's batch, not applied yet; elsewhere the
        position, not the offset after the last record applied: a transaction's commit marker
        takes an offset, which the position moves past and no record has.
        """
        assert self._targets is not None  # noqa: S101 - set before reading begins
        for tp, target in self._targets.items():
            end = consumer.last_stable_offset(tp)  # None (or -1) until a fetch response came
            position = fetched[tp] if tp in fetched else await consumer.position(tp)
            lag = max(0, (target if end is None or end < 0 else end) - position)
            CONSUMER_LAG.labels(SERVICE, tp.topic, str(tp.partition)).set(lag)
