"""The simulator sends an API key when ingest-api requires one, and stops at once when refused.

ingest-api runs in-process with a stand-in publisher: what is tested is the HTTP door, not Kafka.
"""

from __future__ import annotations

import json

import httpx
import pytest
from rich.console import Console

from infra import api_keys as keys
from infra.up import supervised, with_simulator_key
from infra.up_output import LogLinePrinter
from producers.ingest_api.main import create_app
from producers.ingest_api.settings import IngestSettings
from producers.simulator.mix import Mix
from producers.simulator.runner import KeyRefused, Tally, run
from tests.unit.producers.ingest_api.test_http_contract import FakePublisher

KEY = "simulator-key-0123456789abcdefghijklmnop"


def guarded_ingest(publisher: FakePublisher) -> httpx.ASGITransport:
    app = create_app(IngestSettings(api_keys={"simulator": keys.digest(KEY)}))
    app.state.publisher = publisher
    app.state.serdes = publisher
    return httpx.ASGITransport(app=app)


async def run_briefly(publisher: FakePublisher, api_key: str | None) -> Tally:
    mix = Mix(customers=3, skus=2, seed=1)
    quiet, transport = Console(quiet=True), guarded_ingest(publisher)
    return await run("http://ingest", 50, 0.2, mix, quiet, api_key=api_key, transport=transport)


async def test_with_its_key_every_call_is_let_in() -> None:
    publisher = FakePublisher()
    tally = await run_briefly(publisher, KEY)
    assert (tally.rejected, tally.failed, tally.accepted) == (0, 0, tally.sent)
    seeded = [(topic, key) for topic, key, _ in publisher.published[:7]]
    assert seeded == [
        ("customers", "sim-c0"),
        ("customers", "sim-c1"),
        ("customers", "sim-c2"),
        ("customers", "sim-whale"),
        ("inventory-levels", "sim-s0"),
        ("inventory-levels", "sim-s1"),
        ("inventory-levels", "sim-scarce"),
    ]


@pytest.mark.parametrize(
    ("api_key", "says"),
    [
        (None, "ingest-api answered 401 to the simulator: it requires an API key (SIMULATOR_API_KEY)"),
        ("wrong", "ingest-api answered 403 to the simulator: its API key was refused"),
    ],
)
async def test_without_the_right_key_it_stops_at_the_first_call(api_key: str | None, says: str) -> None:
    publisher = FakePublisher()
    with pytest.raises(KeyRefused) as refused:
        await run_briefly(publisher, api_key)
    assert str(refused.value) == says
    assert publisher.published == []


def test_make_up_mints_a_key_for_the_simulator_when_keys_are_required() -> None:
    ops = keys.digest("ops-key")
    environ = with_simulator_key({"INGEST_API_KEYS": json.dumps({"ops": ops}), "PATH": "/bin"})
    key = environ["SIMULATOR_API_KEY"]
    assert json.loads(environ["INGEST_API_KEYS"]) == {"ops": ops, "simulator": keys.digest(key)}
    assert environ["PATH"] == "/bin"
    assert with_simulator_key({"INGEST_API_KEYS": json.dumps({"ops": ops}), "SIMULATOR_API_KEY": KEY}) == {
        "INGEST_API_KEYS": json.dumps({"ops": ops}),
        "SIMULATOR_API_KEY": KEY,
    }  # a key given is kept: its digest is configured by whoever gave it
    assert with_simulator_key({"PATH": "/bin"}) == {"PATH": "/bin"}  # keys not required


def test_make_up_gives_the_minted_key_to_the_simulator_alone() -> None:
    ops = keys.digest("ops-key")
    printer = LogLinePrinter(lambda text: None, width=10)
    supervisor, env = supervised({"INGEST_API_KEYS": json.dumps({"ops": ops}), "PATH": "/bin"}, printer)
    *services, simulator = supervisor.programs
    (name, key), *_ = simulator.environment
    assert (simulator.name, name) == ("simulator", "SIMULATOR_API_KEY")
    assert [p.environment for p in services] == [()] * len(services)
    assert env == {"INGEST_API_KEYS": json.dumps({"ops": ops, "simulator": keys.digest(key)}), "PATH": "/bin"}
