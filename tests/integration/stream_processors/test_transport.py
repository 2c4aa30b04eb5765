"""The flush before a commit leaves no table write behind, on a real broker.

Table writes go out through Faust's ``send_soon`` queue; Faust's own flush gives up once nothing
was sent for 0.1 s. After :class:`DrainingProducer`'s flush every queued record is on the broker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from stream_processors.common.app import App
from stream_processors.common.producer import DrainableBuffer, DrainingProducer
from tests.helpers.kafka import read_records

RECORDS = 500


async def test_flush_returns_only_when_every_queued_write_is_on_the_broker(
    kafka: str, topic_factory: Callable[..., Awaitable[str]]
) -> None:
    name = await topic_factory("drain", partitions=1)
    app = App("drain-test", broker=f"kafka://{kafka}", store="memory://")
    topic = app.topic(name, key_serializer="raw", value_serializer="raw")
    producer = app.producer
    assert isinstance(producer, DrainingProducer)
    await producer.start()
    try:
        for n in range(RECORDS):
            topic.send_soon(key=b"k", value=str(n).encode())  # as a table write is sent
        await producer.flush()
        assert isinstance(producer.buffer, DrainableBuffer)
        assert producer.buffer.unsent == 0
    finally:
        await producer.stop()
    records = await read_records([kafka], [name], RECORDS, timeout_s=10)
    assert [int(r.value) for r in records] == list(range(RECORDS))
