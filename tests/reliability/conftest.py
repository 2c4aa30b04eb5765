"""Shared fixtures of the reliability tests: one whole system per session, started and stopped here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.e2e.systems import PROCESSORS, ServiceUrls, start_system
from tests.helpers.processes import Running

FIGURES: dict[str, int] = {}  # what the hostile-input tests counted, shown after the run


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures the reliability tests recorded (requests sent, poison written, ...)."""
    if FIGURES:
        terminalreporter.section("reliability figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")


@dataclass(frozen=True)
class HostileSystem(ServiceUrls):
    """The running services (by name) and the Kafka coordinates their topics live at."""

    services: dict[str, Running]
    bootstrap: str
    prefix: str


@pytest.fixture(scope="session")
def hostile_system(kafka: str, schema_registry: str) -> Iterator[HostileSystem]:
    """Every service of infra.services on a fresh topic prefix, for hostile input; stopped at the end."""
    with start_system(kafka, schema_registry, PROCESSORS, tag="hostile-") as services:
        prefix = services["ingest-api"].env["KAFKA_TOPIC_PREFIX"]
        yield HostileSystem(services=services, bootstrap=kafka, prefix=prefix)
