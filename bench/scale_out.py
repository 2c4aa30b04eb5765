"""Scale-out: the one-hop processor with one worker, and with two workers of one consumer group.

The processor is ``bench.anchors.faust_hop`` (order-requests → check → order-validations with our
Faust machinery: ``make_app`` + ``BatchRunner``), run as worker subprocesses that never stop
themselves (``RECORDS`` 0), each with its own ``PROCESSOR_DATA_DIR`` and web port, started together
in a new consumer group. Per run:

1. fresh anchor topics (``AnchorTopics``: a prefix of their own, the deployment's 6 partitions);
2. the workers start and the group settles: the broker describes it ``Stable`` with every worker a
   member, on two polls in a row, and every worker's ``/readyz`` answers 200;
3. the backlog of ``AnchorTopics`` (the same records every run) is written in one Kafka transaction
   and committed only then. Our processors read committed records only (``transport``), so the
   whole backlog appears to every worker at once. Without that gate the first worker to join would
   take every partition and start, and the second's arrival would stop both for a rebalance inside
   the measured window; holding the agents back instead would leave each worker's fetch buffer
   (4,096 records) filled before the clock starts, twice as much of the backlog with two workers;
4. each worker sees only its own partitions, so the rate is taken from outside: a consumer without
   a group asks the output topic's end offsets every 0.25 s until it holds N records (one
   ListOffsets request, no fetch, while the workers run), then reads them all. Throughput = N /
   (Kafka timestamp of the output that completes the N distinct order_ids − timestamp of the
   first output), both stamped by the workers' producers on this host's clock;
5. before the workers are stopped (SIGTERM), each one's ``/metrics`` says how many outputs it
   published and whether it went through a rebalance after the gate opened (``detail``, with the
   outputs published before the commit, 0 when the gate held, and the first output's delay after it).

Runs alternate one worker and two, after a warm-up with two, so drifting background load hits both
alike; each figure is the median of ``runs``, the two-worker one with the one-worker one as anchor.

Caveat: this machine has 2 cores, shared by the broker, the workers and this process. Two workers
compete for the same cores, so the ratio says what a second worker costs or gains here, not on a
cluster where each worker has cores of its own.

``python -m bench.scale_out [RUNS] [RECORDS]`` prints the figures as JSON (local Kafka and registry,
started if needed).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from bench.anchors import AnchorTopics, faust_hop, now_ms
from bench.common import Figure, figure, free_port, median_of
from infra.settings import KafkaSettings
from infra.topics import partitions_of
from ops.groups import describe

RECORDS = 50_000  # one worker drains it in about 7 s here: a window long enough for the noise
WORKERS = (1, 2)
POLL_S = 0.25
SETTLE_TIMEOUT_S = 120.0
RUN_TIMEOUT_S = 300.0
READ_S = 30.0  # reading the outputs back once they are all there
STOP_TIMEOUT_S = 30.0
PUBLISHED = "shopstream_events_published_total"
REBALANCES = "shopstream_rebalances_total"


@dataclass
class Outputs:
    """The outputs of one run as read back: distinct order_ids, and the Kafka timestamps that matter."""

    expected: int
    keys: set[str] = field(default_factory=set)
    records: int = 0  # every output read, a key written twice (after a rebalance) counted twice
    first_ms: int | None = None
    last_ms: int | None = None  # the output that brought the last new key

    def add(self, key: str, timestamp_ms: int) -> None:
        """One output read (partitions interleave: timestamps come in any order)."""
        self.records += 1
        self.first_ms = timestamp_ms if self.first_ms is None else min(self.first_ms, timestamp_ms)
        if key not in self.keys:
            self.keys.add(key)
            self.last_ms = timestamp_ms if self.last_ms is None else max(self.last_ms, timestamp_ms)

    @property
    def complete(self) -> bool:
        """Whether every expected key has an output."""
        return len(self.keys) >= self.expected

    @property
    def seconds(self) -> float:
        """From the first output to the one completing the distinct keys (0 before two timestamps)."""
        if self.first_ms is None or self.last_ms is None:
            return 0.0
        return (self.last_ms - self.first_ms) / 1000

    def rate(self) -> float:
        """Distinct keys per second over :attr:`seconds`; 0 when that span is empty."""
        return len(self.keys) / self.seconds if self.seconds > 0 else 0.0


def settled(described: dict[str, Any], workers: int) -> bool:
    """Whether the broker describes the group as Stable with exactly ``workers`` members."""
    return described.get("state") == "Stable" and len(described.get("members", ())) == workers


def metric_total(text: str, sample: str) -> float:
    """The sum of every ``sample`` in a Prometheus text exposition, whatever its labels (0 if none)."""
    return sum(
        s.value for family in text_string_to_metric_families(text) for s in family.samples if s.name == sample
    )


@dataclass
class Worker:
    """One hop worker subprocess: its web port and its log (stdout and stderr)."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def check_alive(self) -> None:
        """Raise, with the tail of its log, if the worker has exited."""
        if self.proc.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"hop worker exited {self.proc.returncode}:\n{tail}")

    async def ready(self, http: httpx.AsyncClient) -> bool:
        """Whether its ``/readyz`` answers 200 (assigned, not rebalancing, registry reachable)."""
        try:
            return (await http.get(f"http://127.0.0.1:{self.port}/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    async def counts(self, http: httpx.AsyncClient) -> dict[str, float]:
        """Outputs published and rebalances gone through so far, from its ``/metrics``."""
        text = (await http.get(f"http://127.0.0.1:{self.port}/metrics")).text
        return {"published": metric_total(text, PUBLISHED), "rebalances": metric_total(text, REBALANCES)}

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited in time."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_workers(topics: AnchorTopics, service: str, workers: int, scratch: Path) -> list[Worker]:
    """``workers`` hop workers of consumer group ``service``, started together, none stopping itself."""
    ports: list[int] = []
    while len(ports) < workers:
        port = free_port()
        if port not in ports:
            ports.append(port)
    started = []
    for i, port in enumerate(ports):
        data_dir, log = scratch / f"worker-{i}", scratch / f"worker-{i}.log"
        data_dir.mkdir()
        with log.open("wb") as out:
            proc = subprocess.Popen(  # noqa: S603 - our own module, with this interpreter
                faust_hop.worker_argv(service, 0, scratch / "unused.json"),
                env=faust_hop.worker_env(topics, port, str(data_dir)),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(Worker(proc, port, log))
    return started


async def wait_settled(kafka: KafkaSettings, group: str, workers: list[Worker], timeout_s: float) -> None:
    """Until the group is Stable with every worker, twice in a row, and every worker is ready."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    deadline, in_a_row = time.monotonic() + timeout_s, 0
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            while in_a_row < 2:
                for worker in workers:
                    worker.check_alive()
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"group {group} not settled with {len(workers)} worker(s) in {timeout_s}s"
                    )
                ready = all([await worker.ready(http) for worker in workers])
                stable = settled(await describe(admin, group), len(workers))
                in_a_row = in_a_row + 1 if ready and stable else 0
                await asyncio.sleep(POLL_S)
    finally:
        await admin.close()


async def read_outputs(kafka: KafkaSettings, topic: str, records: int, timeout_s: float) -> Outputs:
    """The run's outputs, read without a group once ``topic`` holds ``records`` (or at the time-out)."""
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        count = (await partitions_of(kafka, [topic]))[topic]
        tps = [TopicPartition(topic, p) for p in range(count)]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if sum((await consumer.end_offsets(tps)).values()) >= records:
                break
            await asyncio.sleep(POLL_S)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        outputs = Outputs(records)
        deadline = max(deadline, time.monotonic() + READ_S)
        while not outputs.complete and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500, max_records=10_000)).values():
                for msg in batch:
                    outputs.add(msg.key.decode() if msg.key else "", msg.timestamp)
        return outputs
    finally:
        await consumer.stop()


async def counts_of(workers: list[Worker]) -> list[dict[str, float]]:
    """Each worker's outputs published and rebalances so far."""
    async with httpx.AsyncClient(timeout=5) as http:
        return [await worker.counts(http) for worker in workers]


async def measure(topics: AnchorTopics, group: str, records: int, workers: list[Worker]) -> dict[str, Any]:
    """Gate, backlog, outputs read back: one run's outcome (see the module docstring)."""
    await wait_settled(topics.kafka, group, workers, SETTLE_TIMEOUT_S)
    producer = AIOKafkaProducer(
        **topics.kafka.producer_options(), transactional_id=f"{topics.prefix}bench-scale-out"
    )
    await producer.start()
    try:
        async with producer.transaction():
            await topics.write_backlog(producer, records)
            before = await counts_of(workers)
        committed_ms = now_ms()
    finally:
        await producer.stop()
    outputs = await read_outputs(topics.kafka, topics.sink, records, RUN_TIMEOUT_S)
    after = await counts_of(workers)
    return {
        "records_per_s": outputs.rate(),
        "workers": len(workers),
        "records": records,
        "distinct_outputs": len(outputs.keys),
        "outputs": outputs.records,
        "complete": outputs.complete,
        "seconds": round(outputs.seconds, 3),
        "first_output_after_commit_ms": None if outputs.first_ms is None else outputs.first_ms - committed_ms,
        "published_before_gate": int(sum(b["published"] for b in before)),
        "published_per_worker": [
            int(a["published"] - b["published"]) for a, b in zip(after, before, strict=True)
        ],
        "rebalances_after_gate": int(
            sum(a["rebalances"] - b["rebalances"] for a, b in zip(after, before, strict=True))
        ),
    }


def run_once(bootstrap: str, registry_url: str, records: int, workers: int) -> dict[str, Any]:
    """One run: ``workers`` workers of a new consumer group over the backlog on fresh topics."""
    topics = AnchorTopics(bootstrap, registry_url)
    asyncio.run(topics.create())
    service = f"bench-scale-{uuid.uuid4().hex[:8]}"
    group = f"{topics.prefix}shopstream-{service}"  # as make_app names a service's group
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        started = start_workers(topics, service, workers, Path(scratch))
        try:
            return asyncio.run(measure(topics, group, records, started))
        finally:
            for worker in started:
                worker.stop()


def runs_of(bootstrap: str, registry_url: str, runs: int, records: int) -> dict[int, list[dict[str, Any]]]:
    """Each worker count's outcomes, runs alternating one worker and two after a warm-up with two."""
    run_once(bootstrap, registry_url, records, max(WORKERS))  # warm-up
    found: dict[int, list[dict[str, Any]]] = {workers: [] for workers in WORKERS}
    for _ in range(runs):
        for workers in WORKERS:
            found[workers].append(run_once(bootstrap, registry_url, records, workers))
    return found


def run(bootstrap: str, registry_url: str, runs: int = 3, records: int = RECORDS) -> list[Figure]:
    """Records/s with one worker, and with two of the same group against it (the ratio)."""
    found = runs_of(bootstrap, registry_url, runs, records)
    one, two = ([o["records_per_s"] for o in found[w]] for w in WORKERS)
    hop = f"scale-out: one hop, our Faust processor, {records:,} OrderPlaced records"
    return [
        figure(f"{hop}, 1 worker", one, "records/s", detail=found[1]),
        figure(
            f"{hop}, 2 workers of one consumer group (2 cores)",
            two,
            "records/s",
            "1 worker",
            median_of(one),
            detail=found[2],
        ),
    ]


def main() -> None:
    """Start (or reuse) the local Kafka and registry, run the figures, print them as JSON."""
    from infra import local_kafka, local_registry

    bootstrap = local_kafka.start_single()
    registry_url = local_registry.start() + local_registry.CCOMPAT_PATH
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    records = int(sys.argv[2]) if len(sys.argv) > 2 else RECORDS
    started = time.perf_counter()
    figures: list[Any] = list(run(bootstrap, registry_url, runs, records))
    elapsed = round(time.perf_counter() - started, 1)
    sys.stdout.write(json.dumps({"figures": figures, "elapsed_s": elapsed}, indent=2) + "\n")


if __name__ == "__main__":
    main()
