"""Runs a Faust app as a worker process with the project's logs (JSON, or console lines)."""

from __future__ import annotations

import faust

from infra import tracing
from infra.logs import formatter_for
from infra.settings import LogSettings


def logging_config(service: str, level: str, logs: LogSettings | None = None) -> dict[str, object]:
    """A dictConfig sending every record to stderr tagged with ``service``, as ``logs`` says."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"service": {"()": formatter_for, "service": service, "logs": logs or LogSettings()}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "service"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "aiokafka": {"level": "WARNING"},
            "httpx": {"level": "WARNING"},
            "faust": {"level": level},
        },
    }


def run_worker(app: faust.App, service: str, level: str, logs: LogSettings | None = None) -> None:
    """Start the worker and block until it is stopped (SIGTERM/SIGINT); spans go over OTLP if configured."""
    tracing.configure(service)
    worker = faust.Worker(
        app, loglevel=level, logging_config=logging_config(service, level, logs), quiet=True
    )
    worker.execute_from_commandline()
