"""Broker faults on the local 3-node cluster (replication 3, min.insync.replicas 2) while orders flow.

Node 3 is SIGKILLed and later restarted, node 2 paused (SIGSTOP/SIGCONT), then nodes 2 and 3 are
killed together: with one broker left no write can reach min.insync, and ingest-api must answer
503 (never 2xx) to every request it got in that window. Afterwards the ledger check must find
nothing lost, nothing doubled, every order settled and the stock consistent.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from infra import local_kafka
from producers.simulator.mix import Mix
from tests.e2e.systems import PROCESSORS, start_system
from tests.reliability.driver import Ledger, Sent, drive, seed
from tests.reliability.fixtures_faults import FAULT_ENV, Handles, cluster, handles, report, supervise
from tests.reliability.ledger import Verdict, settle_and_check

# three brokers and 8 services start in about a minute on 2 cores; ~70 s of faults, then settling
pytestmark = [pytest.mark.faults, pytest.mark.cluster, pytest.mark.e2e, pytest.mark.timeout(600)]
__all__ = ["cluster"]  # the fixture, imported for pytest

RATE = 20.0
STEADY_S = 6.0
NO_QUORUM_S = 20.0
# a request acknowledged by the brokers just before the kill may be answered a moment after it
IN_FLIGHT_GRACE_S = 1.0


@pytest.fixture
def on_cluster(cluster: str, schema_registry: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Handles]:
    """Every service against the cluster, its topics created with replication factor 3."""
    monkeypatch.setenv("KAFKA_REPLICATION_FACTOR", "3")
    with start_system(cluster, schema_registry, PROCESSORS, "rel-brokers-", **FAULT_ENV) as started:
        yield handles(started, schema_registry, replication=3)


class Timeline:
    """Fault steps with their (monotonic) times, run off the event loop so driving goes on."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.steps: list[tuple[float, str]] = []

    async def step(self, what: str, action: Callable[[], Any]) -> float:
        """Run ``action`` in a thread; note and return when it finished."""
        await asyncio.to_thread(action)
        at = time.monotonic()
        self.steps.append((round(at - self.started, 1), what))
        return at


def restart(node_id: int, attempts: int = 3) -> None:
    """Start a cluster node again; retried, as an operator would, if its JVM exits during start-up.

    The cluster's ports lie in Linux's ephemeral range: while a node is down, a client's outgoing
    connection on a busy machine can take its port, and the JVM then fails to bind it.
    """
    for attempt in range(1, attempts + 1):
        try:
            local_kafka.start_node(node_id)
            return
        except local_kafka.LocalKafkaError:
            if attempt == attempts:
                raise
            time.sleep(2)


async def faults(timeline: Timeline) -> tuple[float, float]:
    """The fault sequence; returns when quorum was lost and when its restoration began."""
    kill, stop_, cont = signal.SIGKILL, signal.SIGSTOP, signal.SIGCONT
    await asyncio.sleep(STEADY_S)
    await timeline.step("SIGKILL node 3", lambda: local_kafka.kill_node(3, kill))
    await asyncio.sleep(STEADY_S)
    await timeline.step("node 3 restarted", lambda: restart(3))
    await asyncio.sleep(STEADY_S)
    await timeline.step("SIGSTOP node 2", lambda: local_kafka.kill_node(2, stop_))
    await asyncio.sleep(STEADY_S)
    await timeline.step("SIGCONT node 2", lambda: local_kafka.kill_node(2, cont))
    await asyncio.sleep(STEADY_S)
    await timeline.step("SIGKILL node 2", lambda: local_kafka.kill_node(2, kill))
    lost_at = await timeline.step("SIGKILL node 3 (quorum lost)", lambda: local_kafka.kill_node(3, kill))
    await asyncio.sleep(NO_QUORUM_S)
    back_at = time.monotonic()
    await timeline.step("node 2 restarted", lambda: restart(2))
    await timeline.step("node 3 restarted", lambda: restart(3))
    await asyncio.sleep(STEADY_S)
    return lost_at, back_at


async def scenario(system: Handles) -> tuple[Verdict, list[Sent]]:
    """Drive through the faults, check the ledger; returns the verdict and the requests answered
    while the quorum was lost."""
    ledger, stop = Ledger(), asyncio.Event()
    exits: list[str] = []
    async with system.clients() as (ingest, query):
        mix = Mix(customers=300, skus=20, seed=7)
        await seed(ingest, mix, ledger)
        supervisor = asyncio.create_task(supervise(system.started, stop, exits))
        driving = asyncio.create_task(drive(ingest, mix, ledger, RATE, stop))
        timeline = Timeline()
        try:
            lost_at, back_at = await faults(timeline)
        finally:
            stop.set()
            await asyncio.gather(driving, supervisor)
        verdict, settle_s = await settle_and_check(ledger, system.kafka, system.registry, query, 150)
    no_quorum = [c for c in ledger.calls if lost_at + IN_FLIGHT_GRACE_S <= c.done_at <= back_at]
    report(
        "broker_faults",
        {
            **verdict.summary(),
            "rate_per_s": RATE,
            "timeline_s": timeline.steps,
            "no_quorum_requests": len(no_quorum),
            "no_quorum_statuses": sorted({str(c.status) for c in no_quorum}),
            "processor_exits": exits,
            "settle_s": round(settle_s, 1),
            "problems": verdict.problems()[:20],
        },
    )
    return verdict, no_quorum


def test_broker_kill_pause_and_quorum_loss_lose_and_double_nothing(on_cluster: Handles) -> None:
    verdict, no_quorum = asyncio.run(scenario(on_cluster))
    assert no_quorum, "no request was answered while the quorum was lost"
    assert {c.status for c in no_quorum} == {503}
    assert set(verdict.statuses) <= {"202", "503"}, verdict.statuses
    assert (verdict.lost, verdict.doubled, verdict.unsettled) == ([], [], [])
    assert verdict.dead_letters == 0
    assert verdict.acked_orders > 0
    # fails while inventory can lose a release across a rebalance (README, Reliability): a broken
    # promise, so the test says so rather than expecting it
    assert verdict.inventory == []
