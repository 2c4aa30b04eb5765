"""A payment for an order that never comes is held, then dead-lettered after the hold time (SPEC §3).

The orders processor alone on topics of its own, with a hold time of 2 s (600 s by default): the
payment overtakes an order that is never placed, waits in the held table, and its record goes to
``dead-letters`` as it was written, with the error kind ``unmatched``; ``orders`` never hears of it.
A second payment, whose order comes within the hold time, is applied to it instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra.settings import KafkaSettings
from schemas.clock import now_ms
from schemas.serdes import Serdes
from schemas.topics import Topics
from tests.helpers.kafka import producing, read_records, read_to_end
from tests.helpers.orders import order_placed
from tests.helpers.processes import on_own_topics

STEM = "held-" + uuid.uuid4().hex[:8]
HOLD_S = "2"


@pytest.fixture(scope="module")
def orders_worker(kafka: str, schema_registry: str) -> Iterator[KafkaSettings]:
    """The orders processor, alone, holding unmatched payments 2 s, ticking every 0.2 s."""
    with on_own_topics(
        ["orders"],
        kafka,
        schema_registry,
        ORDERS_HOLD_UNMATCHED_S=HOLD_S,
        ORDERS_TICK_INTERVAL_S="0.2",
        ORDERS_VALIDATION_TIMEOUT_S="3600",
    ) as settings:
        yield settings


def payment(order_id: str) -> dict[str, Any]:
    """A payment of 300 cents (two units at 150) for ``order_id``."""
    return {
        "payment_id": f"pay-{order_id}",
        "order_id": order_id,
        "amount_cents": 300,
        "currency": "EUR",
        "received_at": now_ms(),
    }


async def test_an_unmatched_payment_is_dead_lettered_after_the_hold_time(
    orders_worker: KafkaSettings, serdes: Serdes
) -> None:
    settings = orders_worker
    payments = Topics.PAYMENTS.full_name(settings.topic_prefix)
    requests = Topics.ORDER_REQUESTS.full_name(settings.topic_prefix)
    orders_topic = Topics.ORDERS.full_name(settings.topic_prefix)
    dead_topic = Topics.DEAD_LETTERS.full_name(settings.topic_prefix)
    orphan, matched = f"{STEM}-orphan", f"{STEM}-late"
    orphan_value = serdes(Topics.PAYMENTS).encode(payment(orphan))

    async with producing(settings.servers) as producer:
        sent = await producer.send_and_wait(payments, orphan_value, key=orphan.encode())
        await producer.send_and_wait(
            payments, serdes(Topics.PAYMENTS).encode(payment(matched)), key=matched.encode()
        )
        await producer.send_and_wait(
            requests, serdes(Topics.ORDER_REQUESTS).encode(order_placed(matched)), key=matched.encode()
        )

    await read_records(settings.servers, [dead_topic], 1, timeout_s=60)  # waits for the dead letter
    letters = await read_to_end(settings.servers, [dead_topic])
    assert [(m.key, m.value) for m in letters] == [(orphan.encode(), orphan_value)]
    assert dict(letters[0].headers) == {
        "error-kind": b"unmatched",
        "error": b"no such order",
        "source-topic": payments.encode(),
        "source-partition": str(sent.partition).encode(),
        "source-offset": str(sent.offset).encode(),
        "service": b"orders",
    }

    records = await read_to_end(settings.servers, [orders_topic])
    versions = [serdes(Topics.ORDERS).decode(m.value) for m in records]
    # the held payment is applied as soon as its order is placed: counted, still CREATED
    assert [(o["order_id"], o["state"], o["version"], o["paid_cents"]) for o in versions] == [
        (matched, "CREATED", 1, 0),
        (matched, "CREATED", 2, 300),
    ]
