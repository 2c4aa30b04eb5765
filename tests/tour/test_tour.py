"""docs/tour.md, run: each command of its ``console`` blocks against ``make up``'s program, outputs compared.

The system is ``python -m infra.up`` (what ``make up`` runs) on this session's broker and registry,
with ports, topic prefix and state directory of its own and no simulator (the tour says
``SIMULATOR_RATE=0 make up``). ``make tour-test`` runs this file alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.services import SERVICES
from infra.session_names import unique
from tests.helpers.processes import free_port
from tests.tour.runner import Shell, Substitutions, matches, steps

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
TOUR = REPO / "docs" / "tour.md"
READY_TIMEOUT_S = 240
STEP_TIMEOUT_S = 150  # the longest step waits out the 30 s validation time-out, on a loaded machine
SECOND_WORKER_PORT = 8114  # docs/tour.md starts a second fraud worker with its web server there


@dataclass(frozen=True)
class TourSystem:
    """The system the tour runs against: the environment its commands get, and how to rewrite them."""

    env: dict[str, str]
    substitutions: Substitutions


def _environment(kafka: str, registry: str, state: Path) -> tuple[dict[str, str], dict[int, int]]:
    """infra.up's environment on free ports, and each service's default port → its port here."""
    ports = {s.default_port: free_port() for s in SERVICES}
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "SCHEMA_REGISTRY_URL": registry,
        "KAFKA_TOPIC_PREFIX": unique("tour") + ".",
        "SHOPSTREAM_LOCAL_DIR": str(state),
        "PROCESSOR_DATA_DIR": str(state / "faust"),
        "SIMULATOR_RATE": "0",
        "INGEST_QUERY_BASE_URL": f"http://127.0.0.1:{ports[8001]}",
        "PYTHONUNBUFFERED": "1",
        **{s.port_env: str(ports[s.default_port]) for s in SERVICES},
    }
    return env, ports


def _wait_until_ready(up: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while "Ctrl-C stops everything." not in log.read_text(errors="replace"):
        if up.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"make up's program did not get ready:\n{log.read_text(errors='replace')}")
        time.sleep(0.5)
    if "NOT READY" in log.read_text(errors="replace"):
        raise AssertionError(f"a service did not get ready:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def tour_system(
    kafka: str, schema_registry: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TourSystem]:
    """``python -m infra.up`` running until the tour is over, then stopped as Ctrl-C stops it."""
    state = tmp_path_factory.mktemp("tour")
    env, ports = _environment(kafka, schema_registry, state)
    second = free_port()
    log = state / "up.log"
    with log.open("wb") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "infra.up"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_ready(up, log)
        in_commands = [
            *((f"127.0.0.1:{dev}", f"127.0.0.1:{ours}") for dev, ours in ports.items()),
            (f"127.0.0.1:{SECOND_WORKER_PORT}", f"127.0.0.1:{second}"),
            (f"FRAUD_WEB_PORT={SECOND_WORKER_PORT}", f"FRAUD_WEB_PORT={second}"),
            (".local/up/", f"{state}/up/"),
            (".local/faust-2", f"{state}/faust-2"),
            (".local/fraud-2.log", f"{state}/fraud-2.log"),
        ]
        yield TourSystem(env, Substitutions(tuple(in_commands)))
    finally:
        up.send_signal(signal.SIGINT)
        try:
            up.wait(90)
        except subprocess.TimeoutExpired:
            up.kill()
            up.wait()


def test_every_command_of_the_tour_shows_what_the_tour_says(tour_system: TourSystem) -> None:
    tour = steps(TOUR.read_text(encoding="utf-8"))
    assert len(tour) >= 20, "the tour's console blocks were not found"
    shell = Shell(REPO, tour_system.env)
    try:
        for step in tour:
            actual = shell.run(tour_system.substitutions.command(step.command), STEP_TIMEOUT_S)
            expected = [tour_system.substitutions.output(line) for line in step.expected]
            assert matches(expected, actual), (
                f"docs/tour.md line {step.line}: $ {step.command}\n"
                f"--- the tour shows\n" + "\n".join(expected) + "\n--- it printed\n" + "\n".join(actual)
            )
    finally:
        shell.close()
