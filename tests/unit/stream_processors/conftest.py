"""Unit tests build Faust apps and consumers that never start: close what those leave open.

mode's ``ServiceThread.__init__`` (Faust's consumer thread) makes an event loop for the thread with
``asyncio.new_event_loop()`` and closes it only when the thread has run. A test that builds a
consumer without starting it would otherwise leave that loop to the garbage collector, which warns
``ResourceWarning: unclosed event loop`` in whichever later test it happens to run in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mode.threads import ServiceThread


@pytest.fixture(autouse=True)
def close_unstarted_thread_loops(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close, after each test, the loop of every consumer thread it built and never ran."""
    built: list[ServiceThread] = []
    init = ServiceThread.__init__

    def recording_init(self: ServiceThread, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(ServiceThread, "__init__", recording_init)
    yield
    for thread in built:
        if thread._thread is None and not thread.thread_loop.is_closed():  # never started
            thread.thread_loop.close()
