"""Applying a record: transient Kafka errors are retried, a record's own failure is returned.

The handler raises the errors itself; nothing here talks to Kafka (dead-lettering what ``apply``
returns is tested on a real broker in tests/integration/stream_processors/test_dead_letters.py).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, RecordTooLargeError

from stream_processors.common import dead_letters
from stream_processors.common.dead_letters import apply

EVENT: Any = SimpleNamespace(message=SimpleNamespace(topic="orders"))


@pytest.fixture(autouse=True)
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dead_letters, "RETRY_S", 0.0)


def failing(*errors: BaseException) -> tuple[Any, list[int]]:
    """A handler raising ``errors`` one per call, then succeeding; and its call count."""
    calls = [0]

    async def handle(event: Any, record: dict[str, Any]) -> None:
        calls[0] += 1
        if calls[0] <= len(errors):
            raise errors[calls[0] - 1]

    return handle, calls


@pytest.mark.parametrize("error", [KafkaConnectionError(), KafkaTimeoutError()])
async def test_a_transient_kafka_error_is_retried_until_the_record_applies(error: BaseException) -> None:
    handle, calls = failing(error, error)
    assert await apply(EVENT, {}, "unit", handle) is None
    assert calls == [3]


@pytest.mark.parametrize("error", [ValueError("bad"), RecordTooLargeError()])
async def test_a_failure_of_the_record_itself_is_returned_once(error: BaseException) -> None:
    handle, calls = failing(error)
    assert await apply(EVENT, {}, "unit", handle) is error
    assert calls == [1]
