"""Worker faults: SIGKILL a worker of every processor, twice each, while orders flow; two workers each.

Partitions move to the surviving worker and back. Afterwards the ledger check must find nothing
lost, nothing doubled, every order settled and the stock consistent; every group's lag reaches 0.
The time from each kill until the backlog present at the kill was committed is printed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import pytest

from producers.simulator.mix import Mix
from tests.e2e.systems import PROCESSORS, start_system
from tests.helpers.processes import Running
from tests.reliability.driver import Ledger, drive, seed
from tests.reliability.fixtures_faults import (
    FAULT_ENV,
    Handles,
    LagProbe,
    doubles,
    group_of,
    handles,
    report,
)
from tests.reliability.ledger import Verdict, settle_and_check

# 14 processes start in about a minute on 2 cores; driving, settling and the lag wait take the rest
pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.timeout(600)]
log = logging.getLogger(__name__)

RATE = 20.0
ROUNDS = 2
BETWEEN_KILLS_S = 3.0
DOWN_S = 1.0


@pytest.fixture
def two_of_each(kafka: str, schema_registry: str) -> Iterator[Handles]:
    """Every service, with two workers of every processor, on topics of its own."""
    workers = [*PROCESSORS, *doubles()]
    with start_system(kafka, schema_registry, workers, "rel-workers-", **FAULT_ENV) as started:
        yield handles(started, schema_registry)


async def kill_and_restart(worker: Running) -> float:
    """SIGKILL the worker, start it again after a moment; returns the time of the kill."""
    worker.kill()
    killed_at = time.monotonic()
    await asyncio.sleep(DOWN_S)
    worker.restart()
    return killed_at


async def wait_lag_zero(system: Handles, probe: LagProbe, timeout_s: float = 60) -> dict[str, int]:
    """Each processor's final lag once all are 0, or as last seen when ``timeout_s`` ran out."""
    deadline = time.monotonic() + timeout_s
    while True:
        lags = {p.name: await probe.lag(group_of(system.kafka, p.name)) for p in PROCESSORS}
        if not any(lags.values()) or time.monotonic() > deadline:
            return lags
        await asyncio.sleep(1)


async def kill_each(
    system: Handles, probe: LagProbe, measures: list[tuple[str, asyncio.Task[float | None]]]
) -> None:
    """Per round, SIGKILL and restart one worker of every processor, measuring each recovery."""
    for round_ in range(ROUNDS):
        for processor in PROCESSORS:
            victim = processor.name if round_ % 2 == 0 else f"{processor.name}-2"
            log.info("SIGKILL %s", victim)
            killed_at = await kill_and_restart(system.started[victim])
            group = group_of(system.kafka, processor.name)
            measures.append((processor.name, asyncio.create_task(probe.backlog_cleared(group, killed_at))))
            await asyncio.sleep(BETWEEN_KILLS_S)


async def scenario(system: Handles) -> tuple[Verdict, dict[str, int]]:
    """Drive, kill a worker of each processor per round, then check the ledger."""
    ledger, stop = Ledger(), asyncio.Event()
    recoveries: dict[str, list[float | None]] = {p.name: [] for p in PROCESSORS}
    async with system.clients() as (ingest, query), LagProbe(system.kafka) as probe:
        mix = Mix(customers=300, skus=20, seed=8)
        await seed(ingest, mix, ledger)
        log.info("seeded; driving at %s/s", RATE)
        driving = asyncio.create_task(drive(ingest, mix, ledger, RATE, stop))
        started = time.monotonic()
        measures: list[tuple[str, asyncio.Task[float | None]]] = []
        await asyncio.sleep(BETWEEN_KILLS_S)
        try:
            await kill_each(system, probe, measures)
        finally:
            stop.set()
            await driving
        driven_s = time.monotonic() - started
        log.info("driving stopped: %s", ledger.statuses())
        verdict, settle_s = await settle_and_check(ledger, system.kafka, system.registry, query, 150)
        log.info("settled in %.1f s: %s", settle_s, verdict.problems()[:5])
        for name, task in measures:
            recoveries[name].append(await task)
        final_lag = await wait_lag_zero(system, probe)
        lagging = {p.name: await probe.lag_by_partition(group_of(system.kafka, p.name)) for p in PROCESSORS}
    figures: dict[str, object] = {
        **verdict.summary(),
        "rate_per_s": RATE,
        "driven_s": round(driven_s, 1),
        "settle_s": round(settle_s, 1),
        "kills": len(measures),
        "kill_to_backlog_committed_s": {
            k: [None if v is None else round(v, 2) for v in vs] for k, vs in recoveries.items()
        },
        "final_lag": final_lag,
        "lagging_partitions": {name: lags for name, lags in lagging.items() if lags},
        "problems": verdict.problems()[:20],
    }
    report("worker_faults", figures)
    return verdict, final_lag


def test_sigkill_a_worker_of_each_processor_loses_and_doubles_nothing(two_of_each: Handles) -> None:
    verdict, final_lag = asyncio.run(scenario(two_of_each))
    assert verdict.problems() == []
    assert set(verdict.statuses) == {"202"}, verdict.statuses
    assert verdict.acked_orders == verdict.orders_driven > 0
    assert verdict.dead_letters == 0
    assert final_lag == {p.name: 0 for p in PROCESSORS}
