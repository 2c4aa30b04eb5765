"""Runs a Faust app as a worker process with the project's JSON logs."""

from __future__ import annotations

from typing import Any

import faust

from infra.logs import JsonFormatter


def logging_config(service: str, level: str) -> dict[str, Any]:
    """A dictConfig sending every record to stderr as JSON tagged with ``service``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter, "service": service}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "aiokafka": {"level": "WARNING"},
            "httpx": {"level": "WARNING"},
            "faust": {"level": level},
        },
    }


def run_worker(app: faust.App, service: str, level: str) -> None:
    """Start the worker and block until it is stopped (SIGTERM/SIGINT)."""
    worker = faust.Worker(app, loglevel=level, logging_config=logging_config(service, level), quiet=True)
    worker.execute_from_commandline()
