"""Applying a record: transient Kafka errors are retried, a record's own failure is dead-lettered."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, RecordTooLargeError

from stream_processors.common import dead_letters
from stream_processors.common.dead_letters import apply


class Recorded:
    """Stands in for DeadLetters (the Kafka side is tested in tests/integration)."""

    service = "unit"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, event: Any, kind: str, error: BaseException) -> None:
        self.sent.append((kind, type(error).__name__))


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
    dead, (handle, calls) = Recorded(), failing(error, error)
    await apply(EVENT, {}, dead, handle)  # type: ignore[arg-type]
    assert calls == [3]
    assert dead.sent == []


@pytest.mark.parametrize("error", [ValueError("bad"), RecordTooLargeError()])
async def test_a_failure_of_the_record_itself_is_dead_lettered_once(error: BaseException) -> None:
    dead, (handle, calls) = Recorded(), failing(error)
    await apply(EVENT, {}, dead, handle)  # type: ignore[arg-type]
    assert calls == [1]
    assert dead.sent == [("apply", type(error).__name__)]
