"""Anchor (a): a minimal aiokafka loop, the Python upper bound for one processor hop.

consume (``getmany`` batches) → decode (our serde) → check → encode an OrderValidation → produce,
then wait for the batch's acks and commit its offsets (at-least-once, like a real processor).
"""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.anchors import AnchorTopics, check, now_ms

BATCH = 5_000


async def drain(topics: AnchorTopics, records: int, timeout_s: float = 120) -> float:
    """Process the first ``records`` of the backlog with a new consumer group; records/s.

    The clock starts at the first batch received and stops once the last output is acknowledged.
    """
    serdes, placed, validation = topics.serdes()
    consumer = AIOKafkaConsumer(
        topics.source,
        **topics.kafka.client_options(),
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(**topics.kafka.producer_options())
    await producer.start()
    await consumer.start()
    try:
        done, start = 0, 0.0
        deadline = time.monotonic() + timeout_s
        while done < records:
            if time.monotonic() > deadline:
                raise TimeoutError(f"raw loop: {done} of {records} records in {timeout_s}s")
            batches = await consumer.getmany(timeout_ms=500, max_records=BATCH)
            if not batches:
                continue
            if not start:
                start = time.perf_counter()
            futures = []
            for batch in batches.values():
                for msg in batch:
                    out = validation.encode(check(placed.decode(msg.value), now_ms()))
                    futures.append(await producer.send(topics.sink, out, key=msg.key))
            await asyncio.gather(*futures)
            await consumer.commit()
            done += len(futures)
        return done / (time.perf_counter() - start)
    finally:
        await consumer.stop()
        await producer.stop()
        serdes.close()


def run_once(topics: AnchorTopics, records: int) -> float:
    """One run of the raw loop over ``records`` of the backlog; records/s."""
    return asyncio.run(drain(topics, records))
