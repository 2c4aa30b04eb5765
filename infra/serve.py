"""How an HTTP service process starts: logs, tracing, then uvicorn with one or several workers.

``serve`` runs the app in this process when ``workers`` is 1; otherwise uvicorn starts ``workers``
processes on the one port, each building its app through the module-level factory named by
``worker_factory`` (an import string), which calls :func:`worker_app`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from fastapi import FastAPI

from infra import tracing
from infra.http import exit_with_parent
from infra.logs import configure_logging
from infra.settings import LogSettings


class HttpSettings(Protocol):
    """What serving needs of a service's settings (``IngestSettings``, ``QuerySettings``)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def workers(self) -> int: ...
    @property
    def log_level(self) -> str: ...
    @property
    def logs(self) -> LogSettings: ...


S = TypeVar("S", bound=HttpSettings)


def prepare(service: str, settings: HttpSettings) -> None:
    """Set up this process's logs and tracing for ``service``."""
    configure_logging(service, settings.log_level, settings.logs)
    tracing.configure(service)


def worker_app(service: str, settings: S, create_app: Callable[[S], FastAPI]) -> FastAPI:
    """The app of one of several uvicorn workers: it stops with its parent, logs and traces, then builds."""
    exit_with_parent()
    prepare(service, settings)
    return create_app(settings)


def serve(service: str, settings: S, create_app: Callable[[S], FastAPI], worker_factory: str) -> None:
    """Run ``service`` with uvicorn on the configured address, in ``settings.workers`` processes."""
    import uvicorn

    prepare(service, settings)
    options = {"host": settings.host, "port": settings.port, "log_config": None, "loop": "uvloop"}
    if settings.workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]  # uvicorn's options are typed per keyword, ours are one dict
        return
    uvicorn.run(worker_factory, factory=True, workers=settings.workers, **options)  # type: ignore[arg-type]  # uvicorn's options are typed per keyword, ours are one dict
