"""Fan-out of read-model changes to Server-Sent-Event clients (dashboards).

Each client has a bounded queue; a client too slow to keep up loses its oldest events rather
than slowing the read models down (the dashboard also gets a full stats snapshot every tick).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

QUEUE_SIZE = 1000


class Broadcaster:
    """Delivers ``(event, data)`` pairs to every subscribed queue, dropping the oldest when full."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[tuple[str, Any]]] = set()

    def publish(self, event: str, data: Any) -> None:
        """Offer an event to every subscriber without waiting."""
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait((event, data))

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[tuple[str, Any]]]:
        """A queue of events for one client, removed when the client leaves."""
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    def __len__(self) -> int:
        return len(self._queues)
