"""Encode+decode rate of an ``Order`` with 3 lines on one core, both framings: median of 5 runs.

``python -m bench.serde_rate`` prints a JSON line; raw fastavro on the same record is the anchor.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from io import BytesIO
from typing import Any

from fastavro import schemaless_reader, schemaless_writer

from schemas import store
from schemas.serde import AvroSerde, SingleObjectFraming

RUNS = 5
N = 20_000
T0 = 1_795_867_200_123
ORDER: dict[str, Any] = {
    "order_id": "o-7f3a9c2e",
    "customer_id": "c-1042",
    "currency": "EUR",
    "items": [
        {"sku": "sku-1", "quantity": 1, "unit_price_cents": 500},
        {"sku": "sku-2", "quantity": 3, "unit_price_cents": 1500},
        {"sku": "sku-3", "quantity": 1, "unit_price_cents": 99},
    ],
    "total_cents": 5099,
    "paid_cents": 0,
    "state": "VALIDATED",
    "reasons": [],
    "version": 2,
    "placed_at": T0,
    "updated_at": T0,
    "validated_at": T0,
}


def rate(step: Callable[[], object]) -> tuple[float, list[float]]:
    """Median operations per second of ``step`` over RUNS runs of N calls (after a warm-up), and the runs."""
    for _ in range(N // 10):
        step()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for _ in range(N):
            step()
        samples.append(N / (time.perf_counter() - start))
    return statistics.median(samples), samples


def figures() -> list[dict[str, Any]]:
    """The serde's encode+decode rate beside raw fastavro on the same record."""
    result = measure()
    return [
        {
            "name": "Avro encode+decode of an Order with 3 lines (one core)",
            "value": result["serde_encode_decode_per_s"],
            "unit": "records/s",
            "runs": result["runs"],
            "anchor": f"raw fastavro {result['fastavro_encode_decode_per_s']:,}/s",
            "ratio": result["ratio"],
        }
    ]


def measure() -> dict[str, Any]:
    """Medians for our serde and for fastavro alone, each over RUNS runs."""
    schema = store.load("Order")
    serde = AvroSerde("orders", schema, SingleObjectFraming())

    def fastavro_pair() -> object:
        out = BytesIO()
        schemaless_writer(out, schema.parsed_plain, ORDER)
        out.seek(0)
        return schemaless_reader(out, schema.parsed_plain, None)

    ours, runs = rate(lambda: serde.decode(serde.encode(ORDER)))
    anchor, _ = rate(fastavro_pair)
    return {
        "record": "Order, 3 lines",
        "bytes": len(serde.encode(ORDER)),
        "serde_encode_decode_per_s": round(ours),
        "fastavro_encode_decode_per_s": round(anchor),
        "ratio": round(ours / anchor, 3),
        "runs": [round(r) for r in runs],
    }


def main() -> None:
    """Measure and print the figures as one JSON line."""
    sys.stdout.write(json.dumps(measure()) + "\n")


if __name__ == "__main__":
    main()
