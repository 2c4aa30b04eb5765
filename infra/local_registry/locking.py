"""Inter-process (flock) and intra-process lock serialising assemble/start/stop of the registry."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from infra.local_registry.layout import registry_dir

_thread_lock = threading.RLock()
_depth = threading.local()


@contextmanager
def exclusive() -> Iterator[None]:
    """Hold ``<local>/registry/.lock`` exclusively; re-entrant within one thread."""
    with _thread_lock:
        if getattr(_depth, "value", 0) > 0:
            _depth.value += 1
            try:
                yield
            finally:
                _depth.value -= 1
            return
        lock_path = registry_dir() / ".lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            _depth.value = 1
            try:
                yield
            finally:
                _depth.value = 0
                fcntl.flock(handle, fcntl.LOCK_UN)
