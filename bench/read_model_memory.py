"""Memory of query-api's orders read model per 100,000 orders (3 lines each), in memory and on disk.

``python -m bench.read_model_memory`` prints JSON: the growth of the peak resident set while loading,
for each store. Each store is measured in a fresh process so the figures do not mix.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from consumers.query_api.projections.orders import OrderViews
from consumers.query_api.projections.store import open_views
from schemas.records import Order, OrderLine

ORDERS = 100_000
T0 = 1_795_867_200_123


def order(i: int) -> Order:
    """A realistic order record of three lines."""
    items: list[OrderLine] = [
        {"sku": f"sku-{(i + k) % 500}", "quantity": 1 + k, "unit_price_cents": 1000 + k} for k in range(3)
    ]
    return {
        "order_id": f"o-{i:08d}-7f3a9c2e",
        "customer_id": f"c-{i % 5000}",
        "currency": "EUR",
        "items": items,
        "total_cents": 6006,
        "paid_cents": 0,
        "state": "VALIDATED",
        "reasons": [],
        "version": 2,
        "placed_at": T0 + i,
        "updated_at": T0 + i,
        "validated_at": T0 + i,
        "payment_ids": [],
    }


def rss_mib() -> float:
    """Peak resident set of this process, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str) -> dict[str, float | str]:
    """Load ORDERS orders into a read model of ``kind``; the memory it took."""
    with tempfile.TemporaryDirectory() as folder:
        gc.collect()
        before = rss_mib()
        views = OrderViews(store=open_views(kind, Path(folder) / "orders"))
        for i in range(ORDERS):
            views.apply(None, order(i))
        growth = rss_mib() - before
        return {
            "store": kind,
            "orders": ORDERS,
            "rss_growth_mib": round(growth, 1),
            "bytes_per_order": round(growth * 2**20 / ORDERS),
        }


def main() -> None:
    """Measure each store in its own process and print the results."""
    if len(sys.argv) > 1:
        sys.stdout.write(json.dumps(measure(sys.argv[1])) + "\n")
        return
    for kind in ("memory", "rocksdb"):
        result = subprocess.run(  # noqa: S603 - this same script, for a clean process per store
            [sys.executable, "-m", "bench.read_model_memory", kind],
            capture_output=True,
            text=True,
            check=True,
        )
        sys.stdout.write(result.stdout)


if __name__ == "__main__":
    main()
