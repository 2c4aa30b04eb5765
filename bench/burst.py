"""A burst that ingest-api accepts is decided by the checks (SPEC §3: a backlog is not a time-out).

The whole system (``tests.e2e.systems``) at its default settings, validation time-out 30 s included:
customers and stock are PUT, then ``BURST`` valid three-line orders are POSTed through
``/v1/orders:batch`` (1,000 per request, accepted within seconds), and ``orders`` is read until every
one is decided. Figures: how many ended VALIDATED, how many FAILED with ``VALIDATION_TIMEOUT``
(the target is none), how many order versions were published more than once (none), and how long
the drain took, longer than the time-out: the checks were busy, not lost.

``python -m bench.burst`` prints the figures as JSON (the local Kafka and registry, started if needed).
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys
import time
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from bench.common import Figure, figure
from infra.settings import KafkaSettings
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics
from tests.e2e.systems import PROCESSORS, start_system

BURST = 6_000
PER_REQUEST = 1_000
CUSTOMERS = 300  # 20 orders of 300 cents each: far below the fraud limit
SKUS = 30
DEADLINE_S = 900.0


def _orders(first: int) -> list[dict[str, Any]]:
    """``PER_REQUEST`` valid orders of three distinct skus, 300 cents each."""
    return [
        {
            "customer_id": f"c-{(first + i) % CUSTOMERS}",
            "currency": "EUR",
            "items": [
                {"sku": f"s-{(i + x) % SKUS}", "quantity": 1, "unit_price_cents": 100} for x in range(3)
            ],
        }
        for i in range(PER_REQUEST)
    ]


async def _decided(kafka: KafkaSettings, serdes: Serdes, expected: int) -> tuple[dict[str, Any], int]:
    """Each order's final (state, reasons) as read from ``orders``, and how many versions came twice."""
    serde = serdes(Topics.ORDERS)
    consumer = AIOKafkaConsumer(
        Topics.ORDERS.full_name(kafka.topic_prefix), **kafka.client_options(), auto_offset_reset="earliest"
    )
    await consumer.start()
    final: dict[str, Any] = {}
    versions: collections.Counter[tuple[str, int]] = collections.Counter()
    deadline = time.monotonic() + DEADLINE_S
    try:
        while len(final) < expected and time.monotonic() < deadline:
            for messages in (await consumer.getmany(timeout_ms=1000)).values():
                for message in messages:
                    order = serde.decode(message.value)
                    versions[(order["order_id"], order["version"])] += 1
                    if order["state"] != "CREATED":
                        final[order["order_id"]] = (order["state"], tuple(order["reasons"]))
    finally:
        await consumer.stop()
    return final, sum(1 for n in versions.values() if n > 1)


def run_once(bootstrap: str, registry: str) -> dict[str, Any]:
    """One burst on a fresh system: the outcome counts and seconds."""
    with start_system(bootstrap, registry, PROCESSORS, tag="bench-burst-") as started:
        kafka = KafkaSettings(
            bootstrap_servers=bootstrap, topic_prefix=started["orders"].env["KAFKA_TOPIC_PREFIX"]
        )
        ingest = started["ingest-api"].url
        with httpx.Client(timeout=60) as client:
            for c in range(CUSTOMERS):
                client.put(f"{ingest}/v1/customers/c-{c}", json={"name": "N", "email": f"c{c}@example.com"})
            for s in range(SKUS):
                client.put(f"{ingest}/v1/inventory/s-{s}", json={"on_hand": 10_000_000})
            began = time.monotonic()
            for first in range(0, BURST, PER_REQUEST):
                answer = client.post(f"{ingest}/v1/orders:batch", json={"orders": _orders(first)})
                answer.raise_for_status()
            accepted_s = time.monotonic() - began
        with Serdes(kafka, RegistrySettings(registry_url=registry)) as serdes:
            final, repeated = asyncio.run(_decided(kafka, serdes, BURST))
        outcomes = collections.Counter(state for state, _ in final.values())
        return {
            "accepted_s": round(accepted_s, 1),
            "decided_s": round(time.monotonic() - began, 1),
            "validated": outcomes["VALIDATED"],
            "timed_out": sum(1 for _, reasons in final.values() if "VALIDATION_TIMEOUT" in reasons),
            "undecided": BURST - len(final),
            "repeated_versions": repeated,
        }


def run(bootstrap: str, registry: str, runs: int = 1) -> list[Figure]:
    """The burst's figures over ``runs`` bursts."""
    outcomes = [run_once(bootstrap, registry) for _ in range(runs)]
    name = f"burst of {BURST:,} orders through :batch, default 30 s validation time-out"
    return [
        figure(f"{name}: VALIDATED", [o["validated"] for o in outcomes], "orders", detail=outcomes),
        figure(f"{name}: FAILED with VALIDATION_TIMEOUT", [o["timed_out"] for o in outcomes], "orders"),
        figure(
            f"{name}: Order versions published twice", [o["repeated_versions"] for o in outcomes], "records"
        ),
        figure(f"{name}: seconds until the last was decided", [o["decided_s"] for o in outcomes], "s"),
    ]


def main() -> None:
    """Start (or reuse) the local Kafka and registry, run the burst once, print the figures as JSON."""
    from infra import local_kafka, local_registry

    bootstrap = local_kafka.start_single()
    registry = local_registry.start() + local_registry.CCOMPAT_PATH
    sys.stdout.write(json.dumps(run(bootstrap, registry), indent=2) + "\n")


if __name__ == "__main__":
    main()
