"""Reads every partition of the read models' topics from the start and applies each record.

No consumer group: every replica reads everything, so replicas answer alike and need no
coordination. Ready means caught up to the end offsets seen when reading began.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError, UnknownTopicOrPartitionError

from consumers.query_api.projections.base import Projection
from infra.metrics import EVENTS_IN, LAG, UNREADABLE
from infra.settings import KafkaSettings
from infra.topics import partitions_of
from schemas.exceptions import DecodeError
from schemas.serde import AvroSerde
from schemas.serdes import Serdes, decode_waiting_for_registry

log = logging.getLogger(__name__)
SERVICE = "query-api"


class Materializer:
    """Owns one consumer feeding every projection; ``caught_up`` drives readiness."""

    def __init__(self, kafka: KafkaSettings, serdes: Serdes, projections: Iterable[Projection]) -> None:
        self._kafka = kafka
        self._routes: dict[str, tuple[Projection, AvroSerde]] = {
            p.topic.full_name(kafka.topic_prefix): (p, serdes(p.topic)) for p in projections
        }
        self._consumer: AIOKafkaConsumer | None = None
        self._targets: dict[TopicPartition, int] | None = None
        self._task: asyncio.Task[None] | None = None
        self.caught_up = False

    async def start(self) -> None:
        """Begin reading in the background; retried until Kafka answers."""
        self._task = asyncio.create_task(self._run(), name="materializer")

    async def stop(self) -> None:
        """Stop reading and close the consumer."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()

    async def _connect(self) -> AIOKafkaConsumer:
        """A started consumer assigned to every partition of our topics, at the beginning."""
        while True:
            consumer = AIOKafkaConsumer(
                **self._kafka.client_options(),
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=5000,
            )
            try:
                await consumer.start()
                counts = await partitions_of(self._kafka, self._routes)
                missing = sorted(set(self._routes) - set(counts))
                if missing:
                    raise UnknownTopicOrPartitionError(f"topics not created yet: {missing}")
                tps = [TopicPartition(t, p) for t, n in counts.items() for p in range(n)]
                consumer.assign(tps)
                await consumer.seek_to_beginning(*tps)
                self._targets = await consumer.end_offsets(tps)
                return consumer
            except KafkaError as exc:
                log.warning("cannot read from Kafka yet", extra={"error": repr(exc)})
                await consumer.stop()
                await asyncio.sleep(1)

    async def _run(self) -> None:
        """Apply records forever."""
        self._consumer = consumer = await self._connect()
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            for tp, messages in batches.items():
                projection, serde = self._routes[tp.topic]
                for message in messages:
                    await self._apply(projection, serde, message.key, message.value, tp)
            if not self.caught_up:
                self.caught_up = await self._check_caught_up(consumer)

    async def _apply(
        self,
        projection: Projection,
        serde: AvroSerde,
        key: bytes | None,
        value: bytes | None,
        tp: TopicPartition,
    ) -> None:
        """Decode and apply one record; an unreadable one is counted, logged and skipped."""
        try:
            record = await decode_waiting_for_registry(serde, value)
        except DecodeError as exc:
            UNREADABLE.labels(SERVICE, tp.topic).inc()
            log.warning(
                "unreadable record skipped",
                extra={"topic": tp.topic, "partition": tp.partition, "error": str(exc)},
            )
            return
        projection.apply(key.decode() if key is not None else None, record)
        EVENTS_IN.labels(SERVICE, tp.topic).inc()

    async def _check_caught_up(self, consumer: AIOKafkaConsumer) -> bool:
        """Whether every partition has reached the end offset seen at start."""
        assert self._targets is not None  # noqa: S101 - set before reading begins
        behind: dict[str, int] = {}
        for tp, target in self._targets.items():
            behind[tp.topic] = behind.get(tp.topic, 0) + max(0, target - await consumer.position(tp))
        for topic, lag in behind.items():
            LAG.labels(SERVICE, topic).set(lag)
        return not any(behind.values())
