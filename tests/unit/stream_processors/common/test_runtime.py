"""The batch runtime's bookkeeping: order, setting aside, coalescing, delivery before acks, bad records.

``BatchRunner.process`` is driven directly with light fakes of what it touches of Faust (events
that record their acks, topics that record their sends and acknowledge them on the next loop
turn) and of ``DeadLetters``. The messages are Faust's own ``ConsumerMessage``. That the adapter
beneath Faust's stream works on a real broker is tested in tests/integration/stream_processors.
"""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

import faust
import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, RecordTooLargeError
from faust import streams as faust_streams
from faust.channels import Channel
from faust.exceptions import ProducerSendError
from faust.transport.consumer import Consumer
from faust.types import TP
from faust.types.tuples import ConsumerMessage
from prometheus_client import REGISTRY

from schemas import store
from schemas.partitions import partition_of
from schemas.serde import AvroSerde, SingleObjectFraming
from stream_processors.common import batch as batch_module
from stream_processors.common import runtime
from stream_processors.common.batch import NEEDS_REFERENCE, Batch, Input, Verdict
from stream_processors.common.runtime import BatchRunner
from stream_processors.common.settings import ProcessorSettings

PARTITIONS = 6
IN, TICKS, OUT, VIEW = "t.in", "t.ticks", "t.out", "t.view"
Log = list[tuple[Any, ...]]
Handler = Callable[[Input, Batch], Awaitable[Verdict | None]]


@pytest.fixture(autouse=True)
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "RETRY_S", 0.0)


@pytest.fixture
def log() -> Log:
    """Every send, delivery, table write and ack, in the order they happened."""
    return []


class Event:
    """A Faust event as the runner uses it: key, message, and an ack that is recorded."""

    def __init__(self, message: ConsumerMessage, key: str | None, log: Log) -> None:
        self.message = message
        self.key = key
        self.log = log
        self.acks = 0

    def ack(self) -> bool:
        self.acks += 1
        self.log.append(("ack", self.message.topic, self.message.offset))
        return True


def event(
    log: Log,
    offset: int,
    key: str | None,
    value: bytes | None = None,
    *,
    topic: str = IN,
    timestamp: float = 1.0,
    partition: int | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> Event:
    """An event of ``topic``, on its key's partition unless ``partition`` says otherwise."""
    if partition is None:
        partition = 0 if key is None else partition_of(key, PARTITIONS)
    raw_key = None if key is None else key.encode()
    message = ConsumerMessage(
        topic,
        partition,
        offset,
        timestamp,
        0,
        headers,
        raw_key,
        value if value is not None else str(offset).encode(),
        None,
        tp=TP(topic, partition),
        generation_id=1,
    )
    return Event(message, key, log)


def sent_then_delivered(*keys: str) -> Log:
    """The log of one batch that sends on OUT each event (keys of offsets 0, 1, …): sends, then deliveries."""
    outputs = [(OUT, key, str(offset).encode()) for offset, key in enumerate(keys)]
    return [*(("send", *output) for output in outputs), *(("delivered", *output) for output in outputs)]


def acked(count: int) -> Log:
    """The log of acking the events of IN at offsets 0 to ``count`` - 1, in order."""
    return [("ack", IN, offset) for offset in range(count)]


class Topic:
    """A Faust topic whose sends are recorded; each is acknowledged on the next loop turn.

    The first ``failures`` sends fail with a transient error, as when no broker answers in time.
    """

    def __init__(self, name: str, log: Log, failures: int = 0) -> None:
        self.name = name
        self.log = log
        self.failures = failures
        self.headers: list[list[tuple[str, bytes]] | None] = []  # each send's headers, in order

    async def send(
        self,
        *,
        key: str | None,
        value: bytes,
        partition: int | None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> asyncio.Future[None]:
        self.log.append(("send", self.name, key, value))
        self.headers.append(headers)
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.failures:
            self.failures -= 1
            acked.set_exception(KafkaTimeoutError())
        else:
            asyncio.get_running_loop().call_soon(self._delivered, acked, key, value)
        return acked

    def _delivered(self, acked: asyncio.Future[None], key: str | None, value: bytes) -> None:
        self.log.append(("delivered", self.name, key, value))
        acked.set_result(None)

    def get_topic_name(self) -> str:
        return self.name


def refused(cause: BaseException) -> ProducerSendError:
    """What Faust's aiokafka producer raises when the client refuses a send (``from`` its error)."""
    try:
        raise ProducerSendError(f"Error while sending: {cause!r}") from cause
    except ProducerSendError as exc:
        return exc


class DeadLetters:
    """Records what would be dead-lettered: topic, offset, kind and error."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.sent: list[tuple[str, int, str, str]] = []

    async def send_input(self, item: Input, kind: str, error: BaseException | str) -> None:
        self.sent.append((item.topic, item.offset, kind, error if isinstance(error, str) else repr(error)))

    def where(self, item: Input, error: str) -> dict[str, Any]:
        return {"topic": item.topic, "partition": item.partition, "offset": item.offset, "error": error}


class Partitions:
    """The consumer's view of the cluster: every topic has ``PARTITIONS`` partitions."""

    def topic_partitions(self, topic: str) -> int:
        return PARTITIONS


class App:
    consumer = Partitions()


def make_runner(
    handler: Handler,
    *,
    decoders: dict[str, AvroSerde | None] | None = None,
    catch_up: batch_module.CatchUp | None = None,
    unkeyed: frozenset[str] = frozenset(),
) -> tuple[BatchRunner, DeadLetters]:
    """A runner of a service of its own (so its metrics are the test's), reading raw records."""
    dead = DeadLetters(f"test-{uuid.uuid4().hex[:8]}")
    runner = BatchRunner(
        cast(Any, App()),
        cast(Any, dead),
        decoders if decoders is not None else {IN: None, TICKS: None},
        handler,
        ProcessorSettings.model_validate({"PROCESSOR_BATCH_SIZE": 100, "PROCESSOR_BATCH_WAIT_MS": 0}),
        catch_up=catch_up,
        unkeyed=unkeyed,
    )
    return runner, dead


async def process(runner: BatchRunner, events: list[Event]) -> None:
    await runner.process(cast(Any, events))


def counted(name: str, service: str, topic: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": service, "topic": topic}) or 0.0


async def test_records_are_applied_in_order_and_acked_once_after_their_outputs_are_delivered(
    log: Log,
) -> None:
    out = Topic(OUT, log)
    applied: list[Input] = []

    async def handle(item: Input, batch: Batch) -> None:
        applied.append(item)
        batch.send(cast(Any, out), item.key, cast(bytes, item.value))

    runner, dead = make_runner(handle)
    events = [event(log, 0, "a", timestamp=1.5), event(log, 1, "b"), event(log, 2, "a"), event(log, 3, "c")]
    await process(runner, events)

    assert [(item.key, item.offset) for item in applied] == [("a", 0), ("b", 1), ("a", 2), ("c", 3)]
    first = applied[0]
    assert (first.topic, first.partition, first.value, first.timestamp_ms) == (
        IN,
        partition_of("a", PARTITIONS),
        b"0",
        1500,
    )
    assert (first.record, first.caught_up) == ({}, False)
    assert first.event is cast(Any, events[0])
    assert log == [*sent_then_delivered("a", "b", "a", "c"), *acked(4)]
    assert [e.acks for e in events] == [1, 1, 1, 1]
    assert dead.sent == []
    assert counted("shopstream_events_consumed_total", runner.service, IN) == 4
    assert counted("shopstream_events_published_total", runner.service, OUT) == 4


async def test_a_record_needing_reference_data_waits_with_its_key_for_one_catch_up(log: Log) -> None:
    attempts: list[tuple[str | None, int, bool]] = []
    catch_ups: list[int] = []

    async def handle(item: Input, batch: Batch) -> Verdict | None:
        attempts.append((item.key, item.offset, item.caught_up))
        if item.key == "a" and item.offset == 0 and not item.caught_up:
            return NEEDS_REFERENCE  # only the first record of "a" asks; the later ones wait with it
        return None

    async def catch_up(written_ms: int) -> bool:
        catch_ups.append(written_ms)
        attempts.append(("catch-up", written_ms, True))
        return True

    runner, dead = make_runner(handle, catch_up=catch_up)
    events = [
        event(log, 0, "a", timestamp=5.0),
        event(log, 1, "b", timestamp=20.0),
        event(log, 2, "a", timestamp=9.0),
        event(log, 3, "b", timestamp=30.0),
        event(log, 4, "a", timestamp=7.0),
    ]
    await process(runner, events)

    assert attempts == [
        ("a", 0, False),
        ("b", 1, False),
        ("b", 3, False),
        ("catch-up", 9000, True),
        ("a", 0, True),
        ("a", 2, True),
        ("a", 4, True),
    ]
    assert catch_ups == [9000]
    assert [e.acks for e in events] == [1, 1, 1, 1, 1]
    assert log == acked(5)
    assert dead.sent == []


async def test_views_are_coalesced_per_slot_and_plain_outputs_all_go_in_order(log: Log) -> None:
    out, view = Topic(OUT, log), Topic(VIEW, log)

    async def handle(item: Input, batch: Batch) -> None:
        key, value = cast(str, item.key), cast(bytes, item.value)
        batch.send(cast(Any, out), key, value)
        batch.latest(cast(Any, view), key, value)
        batch.latest(cast(Any, view), key, b"slot-" + value, slot=f"{key}:{item.offset % 2}")

    runner, _ = make_runner(handle)
    events = [event(log, 0, "k", b"1"), event(log, 1, "k", b"2"), event(log, 2, "k", b"3")]
    await process(runner, events)

    sends = [entry[1:] for entry in log if entry[0] == "send"]
    assert sends == [
        (OUT, "k", b"1"),
        (OUT, "k", b"2"),
        (OUT, "k", b"3"),
        (VIEW, "k", b"3"),  # the last of three for the key's own slot
        (VIEW, "k", b"slot-3"),  # slot k:0 (offsets 0 and 2)
        (VIEW, "k", b"slot-2"),  # slot k:1, kept apart though of the same key
    ]
    assert counted("shopstream_events_published_total", runner.service, VIEW) == 3
    assert [e.acks for e in events] == [1, 1, 1]


async def test_writes_after_delivery_run_in_order_as_their_event_once_outputs_are_acknowledged(
    log: Log,
) -> None:
    out = Topic(OUT, log)

    async def handle(item: Input, batch: Batch) -> None:
        batch.send(cast(Any, out), item.key, cast(bytes, item.value))

        def write() -> None:
            current = faust.current_event()
            assert current is not None
            log.append(("write", item.offset, current.message.offset))

        batch.after_delivery(write)

    runner, _ = make_runner(handle)
    events = [event(log, 0, "a"), event(log, 1, "b"), event(log, 2, "c")]
    await process(runner, events)

    assert log == [
        *sent_then_delivered("a", "b", "c"),
        ("write", 0, 0),  # as the event that asked for it: its changelog partition
        ("write", 1, 1),
        ("write", 2, 2),
        *acked(3),
    ]
    assert faust.current_event() is None


@pytest.mark.parametrize(
    ("error", "reported"),
    [
        (ValueError("bad record"), "ValueError('bad record')"),
        (RecordTooLargeError(), "RecordTooLargeError()"),
    ],
)
async def test_a_record_the_handler_fails_is_dead_lettered_and_the_batch_goes_on(
    log: Log, error: BaseException, reported: str
) -> None:
    out = Topic(OUT, log)
    calls: list[int] = []

    async def handle(item: Input, batch: Batch) -> None:
        calls.append(item.offset)
        if item.offset == 0:
            raise error
        batch.send(cast(Any, out), item.key, cast(bytes, item.value))

    runner, dead = make_runner(handle)
    events = [event(log, 0, "a"), event(log, 1, "a")]
    await process(runner, events)

    assert dead.sent == [(IN, 0, "apply", reported)]
    assert calls == [0, 1]
    assert log == [
        ("send", OUT, "a", b"1"),
        ("delivered", OUT, "a", b"1"),
        ("ack", IN, 0),
        ("ack", IN, 1),
    ]


@pytest.mark.parametrize(
    "error", [KafkaConnectionError(), KafkaTimeoutError(), refused(KafkaConnectionError())]
)
async def test_a_transient_kafka_error_is_retried_until_the_record_applies(
    log: Log, error: BaseException
) -> None:
    calls: list[int] = []

    async def handle(item: Input, batch: Batch) -> None:
        calls.append(item.offset)
        if len(calls) <= 2:
            raise error

    runner, dead = make_runner(handle)
    events = [event(log, 0, "a")]
    await process(runner, events)

    assert calls == [0, 0, 0]
    assert dead.sent == []
    assert log == [("ack", IN, 0)]


async def test_a_record_on_another_partition_than_its_keys_is_dead_lettered_unapplied(log: Log) -> None:
    applied: list[tuple[str, int]] = []

    async def handle(item: Input, batch: Batch) -> None:
        applied.append((item.topic, item.offset))

    runner, dead = make_runner(handle, unkeyed=frozenset({TICKS}))
    elsewhere = (partition_of("a", PARTITIONS) + 1) % PARTITIONS
    events = [
        event(log, 0, "a", partition=elsewhere),
        event(log, 1, "b"),
        event(log, 0, "a", topic=TICKS, partition=elsewhere),  # unkeyed: not checked
    ]
    await process(runner, events)

    assert [(topic, offset, kind) for topic, offset, kind, _ in dead.sent] == [(IN, 0, "partition")]
    reason = dead.sent[0][3]
    assert reason.startswith("WRONG_PARTITION")
    assert "murmur2" in reason
    assert f"belongs on partition {partition_of('a', PARTITIONS)} of {PARTITIONS}" in reason
    assert applied == [(IN, 1), (TICKS, 0)]
    assert [e.acks for e in events] == [1, 1, 1]
    assert counted("shopstream_events_consumed_total", runner.service, IN) == 2


async def test_a_record_that_does_not_decode_is_dead_lettered_and_the_others_are_decoded(log: Log) -> None:
    serde = AvroSerde(IN, store.load("Notification"), SingleObjectFraming())
    notification = {
        "notification_id": "o-1:2:ORDER_CONFIRMED",
        "customer_id": "c-1",
        "email": "ann@example.com",
        "order_id": "o-1",
        "kind": "ORDER_CONFIRMED",
        "text": "Your order o-1 is confirmed.",
        "created_at": 7,
    }
    records: list[dict[str, Any]] = []

    async def handle(item: Input, batch: Batch) -> None:
        records.append(item.record)

    runner, dead = make_runner(handle, decoders={IN: serde})
    events = [event(log, 0, "c-1", b"not avro"), event(log, 1, "c-1", serde.encode(notification))]
    await process(runner, events)

    assert dead.sent == [(IN, 0, "decode", "DecodeError('not single-object Avro (missing C3 01 marker)')")]
    assert records == [notification]
    assert [e.acks for e in events] == [1, 1]


async def test_an_output_not_acknowledged_is_sent_again_before_the_batch_is_acked(log: Log) -> None:
    out = Topic(OUT, log, failures=1)

    async def handle(item: Input, batch: Batch) -> None:
        batch.send(cast(Any, out), "k", b"first")
        batch.send(cast(Any, out), "m", b"second")

    runner, _ = make_runner(handle)
    events = [event(log, 0, "a")]
    await process(runner, events)

    assert log == [
        ("send", OUT, "k", b"first"),  # fails: no broker answered in time
        ("send", OUT, "m", b"second"),
        ("delivered", OUT, "m", b"second"),
        ("send", OUT, "k", b"first"),
        ("delivered", OUT, "k", b"first"),
        ("ack", IN, 0),
    ]
    assert counted("shopstream_events_published_total", runner.service, OUT) == 2


class RefusingTopic(Topic):
    """A topic whose first sends are refused at once with ``cause``: a transient one as when the
    producer's buffer stays full or no metadata comes while the brokers are down."""

    def __init__(self, name: str, log: Log, failures: int, cause: BaseException) -> None:
        super().__init__(name, log)
        self.refusals = failures
        self.cause = cause

    async def send(
        self,
        *,
        key: str | None,
        value: bytes,
        partition: int | None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> asyncio.Future[None]:
        if self.refusals:
            self.refusals -= 1
            self.log.append(("refused", self.name, key, value))
            raise refused(self.cause)
        return await super().send(key=key, value=value, partition=partition, headers=headers)


async def test_a_send_refused_while_brokers_are_down_is_retried(log: Log) -> None:
    out = RefusingTopic(OUT, log, failures=1, cause=KafkaTimeoutError())

    async def handle(item: Input, batch: Batch) -> None:
        batch.send(cast(Any, out), "k", b"v")

    runner, _ = make_runner(handle)
    await process(runner, [event(log, 0, "a")])

    assert log == [
        ("refused", OUT, "k", b"v"),
        ("send", OUT, "k", b"v"),
        ("delivered", OUT, "k", b"v"),
        ("ack", IN, 0),
    ]


async def test_an_output_refused_for_good_dead_letters_its_record_and_the_batch_goes_on(log: Log) -> None:
    out = RefusingTopic(OUT, log, failures=1, cause=RecordTooLargeError())

    async def handle(item: Input, batch: Batch) -> None:
        batch.send(cast(Any, out), "k", b"v")

    runner, dead = make_runner(handle)
    events = [event(log, 0, "a")]
    await process(runner, events)

    assert log[0] == ("refused", OUT, "k", b"v")
    assert [(topic, offset, kind) for topic, offset, kind, _ in dead.sent] == [(IN, 0, "deliver")]
    assert "RecordTooLargeError" in dead.sent[0][3]
    assert events[0].acks == 1


async def test_a_failed_or_deferred_application_leaves_no_output_behind(log: Log) -> None:
    out = Topic(OUT, log)
    calls: list[bool] = []

    async def handle(item: Input, batch: Batch) -> Verdict | None:
        calls.append(item.caught_up)
        batch.send(cast(Any, out), "k", item.value or b"")
        batch.latest(cast(Any, out), "view", item.value or b"")
        batch.after_delivery(lambda: log.append(("write", OUT, "k", item.value or b"")))
        if item.offset == 0:
            raise ValueError("bad record")
        return NEEDS_REFERENCE if not item.caught_up else None

    async def catch_up(_: int) -> None:
        return None

    runner, dead = make_runner(handle, catch_up=catch_up)
    await process(runner, [event(log, 0, "a"), event(log, 1, "b")])

    assert calls == [False, False, True]
    assert [kind for _, _, kind, _ in dead.sent] == ["apply"]
    sent = [entry for entry in log if entry[0] in {"send", "write"}]
    assert [(entry[0], entry[3]) for entry in sent] == [("send", b"1"), ("send", b"1"), ("write", b"1")]


async def test_runtime_faust_hooks() -> None:
    """Canary: what the runtime relies on beneath Faust's stream still exists after an upgrade."""
    assert isinstance(faust_streams._current_event, contextvars.ContextVar)
    fake = event([], 0, "a")
    batch_module.set_current_event(cast(Any, fake))
    assert faust.current_event() is cast(Any, fake)
    batch_module.set_current_event(None)
    assert faust.current_event() is None

    assert callable(Consumer.track_message)
    assert callable(Consumer.topic_partitions)
    assert callable(Channel.__anext__)
    assert isinstance(Channel.queue, property)

    message = fake.message
    assert (message.tracked, message.generation_id) == (False, 1)
    assert isinstance(faust.App.consumer_generation_id, int)

    app = faust.App(f"canary-{uuid.uuid4().hex[:8]}", broker="kafka://127.0.0.1:1", store="memory://")
    assert isinstance(app.consumer_generation_id, int)
    assert isinstance(app.topics.acking_topics, set)
    assert isinstance(app.flow_control.is_active(), bool)
    # with publish-on-commit, a send during a batch would wait for that batch's own commit
    assert app.conf.stream_publish_on_commit is False
    channel = app.channel().clone(is_iterator=True)
    channel.queue.put_nowait(cast(Any, fake))
    assert await channel.__anext__() is cast(Any, fake)
    assert channel.queue.empty()


async def test_ledger_faust_hooks() -> None:
    """Canary: the Faust members the offset ledger's consumer adapter overrides or reads still exist.

    ``transport.LedgerConsumer`` overrides ``_to_message`` (records handed out), ``ack``,
    ``_new_offset`` (the commit point), ``seek`` and ``seek_to_committed``, and trims Faust's own
    ``_acked``/``_acked_index``; the integration test of dead letters checks that a real worker
    calls them (its handed-out and processed counters move).
    """
    from faust.transport.drivers import aiokafka as driver

    for name in ("_to_message", "ack", "_new_offset", "seek", "seek_to_committed", "commit"):
        assert callable(getattr(driver.Consumer, name)), name
    app = faust.App(f"canary-{uuid.uuid4().hex[:8]}", broker="kafka://127.0.0.1:1", store="memory://")
    consumer = app.consumer
    assert isinstance(consumer, driver.Consumer)
    assert isinstance(consumer._acked, dict)
    assert isinstance(consumer._acked_index, dict)
    assert isinstance(app.tables.changelog_topics, set)


async def test_outputs_carry_the_trace_of_the_record_they_answer(log: Log) -> None:
    """SPEC §5: what a record causes is written with its traceparent; a record without one adds none."""
    out, views = Topic(OUT, log), Topic("t.views", log)
    traced = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    async def handle(item: Input, batch: Batch) -> None:
        batch.send(cast(Any, out), item.key, cast(bytes, item.value))
        batch.latest(cast(Any, views), "one-view", cast(bytes, item.value))  # coalesced: the last one goes

    runner, _ = make_runner(handle)
    await process(
        runner,
        [
            event(log, 0, "a", headers=[("other", b"x")]),
            event(log, 1, "b", headers=[("traceparent", traced.encode()), ("other", b"y")]),
        ],
    )

    assert out.headers == [None, [("traceparent", traced.encode())]]
    assert views.headers == [[("traceparent", traced.encode())]]
