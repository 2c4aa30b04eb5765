"""Reference data (customers, stock levels) replicated to every worker from its compacted topic.

Each worker reads every partition itself (no consumer group), so a decision about any key can be
made locally, whatever partitions the worker owns: the compacted topic is the view's changelog.
``catch_up`` implements SPEC's "reference data first": before failing an order for a reason that
depends on this data, read the topic up to its end offsets (bounded wait) and decide again.
``catch_up_since`` skips the read when a catch-up that began after the event was written has
already finished: every update acknowledged before the order was posted was in that catch-up's end
offsets. Without it, a flood of orders failing for such reasons (unknown customers, say) paid one
broker round trip and reader cycle each, and held up every order behind them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Generic, TypeVar, cast

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from mode import Service

from infra import tracing
from infra.metrics import EVENTS_IN, REFERENCE_CATCH_UPS, UNREADABLE
from infra.settings import KafkaSettings
from infra.topics import partitions_of
from schemas.clock import now_ms
from schemas.exceptions import DecodeError
from schemas.serde import AvroSerde
from schemas.serdes import decode_waiting_for_registry
from stream_processors.common.dead_letters import DeadLetters

log = logging.getLogger(__name__)
R = TypeVar("R")


class ReferenceView(Service, Generic[R]):
    """The latest record per key of one compacted topic, kept current in the background.

    ``R``: the TypedDict of the topic's record (``schemas.records``), which its serde decodes.
    """

    def __init__(
        self, kafka: KafkaSettings, serde: AvroSerde, service: str, dead: DeadLetters | None = None
    ) -> None:
        """``dead``: where unreadable records go, for a service that reads this topic nowhere else."""
        super().__init__()
        self._dead = dead
        self._kafka = kafka
        self._serde = serde
        self._service = service
        self._data: dict[str, R] = {}
        self._offsets: dict[str, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions: list[TopicPartition] = []
        self._applied: dict[TopicPartition, int] = {}
        self._progress = asyncio.Event()
        self._caught_up_from_ms = 0  # wall-clock start of the latest catch-up that finished
        self.loaded = False

    def get(self, key: str) -> R | None:
        """The latest record of ``key``, if any."""
        return self._data.get(key)

    def offset(self, key: str) -> int:
        """The offset of the latest record of ``key`` (-1 if none): how new ``get(key)`` is."""
        return self._offsets.get(key, -1)

    async def on_start(self) -> None:
        """Assign every partition from the beginning and start reading."""
        counts = await partitions_of(self._kafka, [self._serde.topic])
        self._partitions = [TopicPartition(self._serde.topic, p) for p in range(counts[self._serde.topic])]
        self._consumer = AIOKafkaConsumer(
            **self._kafka.client_options(),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",  # an aborted re-drive never happened
        )
        await self._consumer.start()
        self._consumer.assign(self._partitions)
        await self._consumer.seek_to_beginning(*self._partitions)
        self.add_future(self._read())
        self.loaded = await self.catch_up(timeout_s=60)

    async def on_stop(self) -> None:
        """Close the consumer."""
        if self._consumer is not None:
            await self._consumer.stop()

    async def _read(self) -> None:
        """Apply records as they come; wake whoever waits in :meth:`catch_up`."""
        assert self._consumer is not None  # noqa: S101 - set in on_start
        while not self.should_stop:
            try:
                batches = await self._consumer.getmany(timeout_ms=200, max_records=5000)
            except KafkaError as exc:
                log.warning(
                    "reference read failed; retrying", extra={"topic": self._serde.topic, "error": repr(exc)}
                )
                await asyncio.sleep(1)
                continue
            for tp, messages in batches.items():
                for message in messages:
                    await self._apply(tp, message)
                self._applied[tp] = messages[-1].offset + 1 if messages else self._applied.get(tp, 0)
            for tp in self._partitions:  # also counts offsets skipped by compaction or markers
                if tp not in batches:
                    self._applied[tp] = max(self._applied.get(tp, 0), await self._consumer.position(tp))
            self._progress.set()
            self._progress = asyncio.Event()

    async def _apply(self, tp: TopicPartition, message: ConsumerRecord[bytes, bytes]) -> None:
        """Keep the record under its key; an unreadable one is counted, skipped and dead-lettered.

        Only records read after the initial load are dead-lettered: every start re-reads the whole
        compacted topic, and a record already there was dead-lettered when it was first read live.
        The dead letter carries the record's trace context (its ``traceparent``/``tracestate``
        headers), as the runtime's do (SPEC §5).
        """
        key, value, offset = message.key, message.value, message.offset
        if key is None:
            return
        try:
            text = key.decode()  # SPEC §2: keys are UTF-8 text
            record = await decode_waiting_for_registry(self._serde, value)
        except (DecodeError, UnicodeDecodeError) as exc:
            UNREADABLE.labels(self._service, self._serde.topic).inc()
            if self._dead is not None and self.loaded:
                trace = tracing.forwarded(message.headers)
                where = (tp.topic, tp.partition, offset)
                await self._dead.send_raw(*where, key, value, "decode", exc, trace, message.headers)
            else:
                log.warning(
                    "unreadable reference record", extra={"topic": self._serde.topic, "error": str(exc)}
                )
            return
        self._data[text] = cast(R, record)  # the serde decoded it with R's schema
        self._offsets[text] = offset
        EVENTS_IN.labels(self._service, self._serde.topic).inc()

    async def catch_up(self, timeout_s: float) -> bool:
        """Read up to the end offsets as of now; False if that took longer than ``timeout_s``."""
        assert self._consumer is not None  # noqa: S101 - set in on_start
        began_ms = now_ms()
        REFERENCE_CATCH_UPS.labels(self._service, self._serde.topic).inc()
        try:
            async with asyncio.timeout(timeout_s):
                targets = await self._consumer.end_offsets(self._partitions)
                while any(self._applied.get(tp, 0) < targets[tp] for tp in self._partitions):
                    await self._progress.wait()
        except TimeoutError:
            return False
        self._caught_up_from_ms = max(self._caught_up_from_ms, began_ms)
        return True

    async def catch_up_since(self, written_ms: int, timeout_s: float) -> bool:
        """Have every update acknowledged before ``written_ms`` (epoch ms) applied; see the module doc.

        ``written_ms`` is the timestamp of the record being decided (its producer's clock: hosts
        whose clocks drift apart by more than a catch-up's duration weaken this guarantee).
        """
        if self._caught_up_from_ms > written_ms:
            return True
        return await self.catch_up(timeout_s)
