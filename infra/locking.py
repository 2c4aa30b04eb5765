"""A lock held across processes (flock on a file) and re-entrant within one thread."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class FileLock:
    """Serialises start/stop/assemble of a local component across processes and threads."""

    def __init__(self, path: Callable[[], Path]) -> None:
        self._path = path
        self._thread_lock = threading.RLock()
        self._depth = threading.local()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        """Hold the lock file exclusively; nested use in the same thread does not block."""
        with self._thread_lock:
            if getattr(self._depth, "value", 0) > 0:
                self._depth.value += 1
                try:
                    yield
                finally:
                    self._depth.value -= 1
                return
            lock_path = self._path()
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            with lock_path.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                self._depth.value = 1
                try:
                    yield
                finally:
                    self._depth.value = 0
                    fcntl.flock(handle, fcntl.LOCK_UN)
