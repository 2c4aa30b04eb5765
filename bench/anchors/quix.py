"""Anchor (b): the same validation step written with Quix Streams, the library a Python user would pick.

Raw bytes in and out (Quix's ``bytes`` serializers); decode, check and encode with our serde in
``sdf.apply``; ``to_topic`` produces, keyed like the input. Library defaults otherwise.
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
import warnings

with warnings.catch_warnings():  # quixstreams' authlib import warns about httpx (not ours to fix)
    warnings.simplefilter("ignore")
    from quixstreams import Application

from bench.anchors import AnchorTopics, check, now_ms


def run_once(topics: AnchorTopics, records: int, timeout_s: float = 30) -> float:
    """Process the first ``records`` of the backlog with a new consumer group; records/s.

    The clock starts at the first record applied and stops when ``Application.run`` returns after
    ``records`` outputs (its final checkpoint: producer flushed, offsets committed).
    """
    serdes, placed, validation = topics.serdes()
    started: list[float] = []

    def validate(value: bytes) -> bytes:
        if not started:
            started.append(time.perf_counter())
        return validation.encode(check(placed.decode(value), now_ms()))

    with tempfile.TemporaryDirectory(prefix="bench-quix-") as state_dir:
        app = Application(
            broker_address=topics.kafka.bootstrap_servers,
            consumer_group=f"bench-quix-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            state_dir=state_dir,
            loglevel=logging.WARNING,
        )
        source = app.topic(
            topics.source, key_deserializer="bytes", value_deserializer="bytes", key_serializer="bytes"
        )
        sink = app.topic(topics.sink, key_serializer="bytes", value_serializer="bytes")
        app.dataframe(topic=source).apply(validate).to_topic(sink)
        try:
            app.run(count=records, timeout=timeout_s, collect=False)
        finally:
            serdes.close()
    if not started:
        raise TimeoutError("quix: no record processed")
    return records / (time.perf_counter() - started[0])
