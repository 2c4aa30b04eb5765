"""Several uvicorn workers on one port (``INGEST_WORKERS``) on a real broker.

Every answer is a 202 whose order is on Kafka, and a parent killed with SIGKILL takes its workers
with it, so the port is free for the restart a supervisor makes (uvicorn alone leaves its workers
serving on the socket the dead parent bound).
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid

import httpx
import psutil
import pytest

from tests.helpers.kafka import read_records
from tests.helpers.orders import one_line_order
from tests.helpers.processes import alive, free_port, own_topics, service, start

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

WORKERS = 2
GONE_S = 15  # each worker checks for its parent every second


def worker_pids(parent: int) -> list[int]:
    """The uvicorn workers of ``parent``: its children except multiprocessing's resource tracker."""
    children = psutil.Process(parent).children()
    return [c.pid for c in children if "resource_tracker" not in " ".join(c.cmdline())]


def port_is_free(port: int) -> bool:
    """Whether a new listener could bind 127.0.0.1:``port`` now."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_ingest_workers_publish_with_acks_and_die_with_their_parent(kafka: str, schema_registry: str) -> None:
    settings, env = own_topics("workers", kafka, schema_registry)
    ingest = start(
        service("ingest-api"), free_port(), {**env, "INGEST_WORKERS": str(WORKERS)}, tag="workers-"
    )
    try:
        ingest.wait_ready()
        workers = worker_pids(ingest.proc.pid)
        assert len(workers) == WORKERS
        order_ids = [f"w-{uuid.uuid4().hex[:8]}-{i}" for i in range(40)]
        for order_id in order_ids:  # a new connection each: any worker may take it
            with httpx.Client(base_url=ingest.url, timeout=30) as client:
                r = client.post("/v1/orders", json=one_line_order(order_id))
            assert (r.status_code, r.json()) == (202, {"order_id": order_id})
        topic = f"{settings.topic_prefix}order-requests"
        records = asyncio.run(read_records(settings.servers, [topic], len(order_ids)))
        assert sorted(r.key.decode() for r in records) == sorted(order_ids)

        ingest.kill()  # SIGKILL to the parent alone: no clean shutdown
        deadline = time.monotonic() + GONE_S
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in workers if alive(pid)] == []
        assert port_is_free(ingest.port)
    finally:
        if ingest.proc.poll() is None:
            ingest.stop()
