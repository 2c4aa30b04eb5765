"""``make up``: start the local Kafka, create the topics, run every service under supervisord.

Each step is printed as it completes, with its time; then each service as its readiness page
answers, and a table of URLs. A service that exits is restarted, with back-off, and the others go on
(:mod:`infra.supervision` says why supervisord and with which policy). Ctrl-C or SIGTERM stops the
services first, then the registry, then Kafka.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import platform
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from types import FrameType

from infra import api_keys as keys
from infra import local_kafka, local_registry
from infra.jvm.layout import local_dir
from infra.kafka_clients import started_admin
from infra.services import SERVICES
from infra.settings import KafkaSettings
from infra.supervision import SIMULATOR, SIMULATOR_KEY_ENV, Layout, programs
from infra.topics import ensure_topics
from infra.up_output import LogLinePrinter, StepPrinter, format_table, url_rows
from infra.up_supervisor import SUPERVISOR, Supervisord
from schemas.topics import ALL

REPLICATION_ENV = "KAFKA_REPLICATION_FACTOR"
MAX_REPLICATION = 3  # with min.insync.replicas=2 (infra.topics): one broker may fail
READY_TIMEOUT_S = 120.0  # a processor recovering its tables from RocksDB may take a while
POLL_S = 0.5
STEPS = ("environment", "kafka", "registry", "topics", "services", *(s.name for s in SERVICES))
NAME_WIDTH = max(len(name) for name in (SUPERVISOR, SIMULATOR, *(s.name for s in SERVICES)))


def with_simulator_key(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` with an API key for the simulator, when ingest-api requires keys and none is given.

    A fresh key is made for this run; its digest joins ``INGEST_API_KEYS`` as ``simulator`` and
    the key itself goes to the simulator only, in ``SIMULATOR_API_KEY`` (never printed).
    """
    required = json.loads(environ.get("INGEST_API_KEYS") or "{}")
    if not required or environ.get("SIMULATOR_API_KEY"):
        return environ
    key = keys.new_key()
    return {
        **environ,
        "INGEST_API_KEYS": json.dumps({**required, "simulator": keys.digest(key)}),
        "SIMULATOR_API_KEY": key,
    }


def setup_seconds(environ: Mapping[str, str]) -> float:
    """Seconds since ``make up`` began (``SHOPSTREAM_UP_STARTED``, set by the Makefile); 0 without make."""
    started = environ.get("SHOPSTREAM_UP_STARTED")
    return max(time.time() - float(started), 0.0) if started else 0.0


def answers(url: str) -> bool:
    """True when ``url`` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - http to localhost only
            return int(answer.status) == 200
    except (OSError, http.client.HTTPException):  # refused, 503 (HTTPError), cut off
        return False


def report_readiness(
    out: StepPrinter,
    urls: Mapping[str, str],
    rows: Sequence[tuple[str, str]],
    stopped: threading.Event,
    ready: Callable[[str], bool] = answers,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Print each service once its readiness URL (in ``urls`` by name) is ``ready``, then the URLs.

    A service not ready within ``READY_TIMEOUT_S`` is printed as such, and the table follows anyway.
    Nothing more is printed once ``stopped`` is set (the services are being stopped).
    """
    started = clock()
    waiting = dict(urls)
    while waiting and not stopped.wait(POLL_S):
        for name, url in list(waiting.items()):
            if stopped.is_set():
                return
            if ready(url):
                out.done(name, clock() - started, "ready")
                del waiting[name]
        if waiting and clock() - started > READY_TIMEOUT_S:
            for name, url in waiting.items():
                out.done(name, clock() - started, f"NOT READY: {url} (its log lines say why)")
            break
    if not stopped.is_set():
        out.write("\n" + format_table(rows) + "\nCtrl-C stops everything.\n")


def start_kafka(out: StepPrinter, external: str | None) -> str:
    """The broker's bootstrap string: ``KAFKA_BOOTSTRAP_SERVERS`` as given, or the local node started.

    On a given cluster, topics get as many replicas as it has brokers, up to 3, unless
    ``KAFKA_REPLICATION_FACTOR`` says otherwise: the default of 1 suits the single node, and on
    a cluster it would leave a dead broker's partitions without a copy.
    """
    with out.step("kafka") as step:
        bootstrap = external or local_kafka.start_single()
        step.detail = f"{bootstrap} (KAFKA_BOOTSTRAP_SERVERS)" if external else bootstrap
        if external and not os.environ.get(REPLICATION_ENV):
            brokers = asyncio.run(broker_count(KafkaSettings()))
            os.environ[REPLICATION_ENV] = str(min(brokers, MAX_REPLICATION))
            step.detail += f"; {brokers} brokers: replication factor {os.environ[REPLICATION_ENV]}"
    return bootstrap


async def broker_count(kafka: KafkaSettings) -> int:
    """How many brokers ``kafka``'s cluster has now."""
    admin = await started_admin(kafka)
    try:
        return len((await admin.describe_cluster())["brokers"])
    finally:
        await admin.close()


def start_registry(out: StepPrinter, given: str | None, bootstrap: str) -> str:
    """``SCHEMA_REGISTRY_URL`` as given, or the URL of the local registry, started on ``bootstrap``."""
    with out.step("registry") as step:
        registry = given
        if not registry:
            os.environ.setdefault("SHOPSTREAM_LOCAL_REGISTRY_KAFKA_BOOTSTRAP", bootstrap.split(",")[0])
            registry = local_registry.start() + local_registry.CCOMPAT_PATH
        step.detail = f"{registry} (SCHEMA_REGISTRY_URL)" if given else registry
    return registry


def supervised(environ: dict[str, str], printer: LogLinePrinter) -> tuple[Supervisord, dict[str, str]]:
    """supervisord for every service (and the simulator unless ``SIMULATOR_RATE`` is 0), and its env.

    The simulator's API key, if any, is in its own program's environment, not in supervisord's.
    """
    simulating = float(environ.get("SIMULATOR_RATE", "5")) > 0  # so the dashboard is alive from the start
    with_key = with_simulator_key(environ) if simulating else environ
    without_key = {k: v for k, v in with_key.items() if k != SIMULATOR_KEY_ENV}
    return Supervisord(programs(with_key), Layout(local_dir() / "up"), printer), without_key


def supervise(
    out: StepPrinter,
    supervisor: Supervisord,
    env: dict[str, str],
    watch: threading.Thread,
    stopped: threading.Event,
) -> int | None:
    """Run the services until SIGINT or SIGTERM (None) or supervisord's end (its exit code).

    Either way ``stopped`` is set (``watch`` prints no more) and the services are stopped, all
    together; a second Ctrl-C does not cut that short.
    """
    interrupted = threading.Event()

    def interrupt(signum: int, frame: FrameType | None) -> None:
        interrupted.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, interrupt)
    try:
        supervisor.start(env)
        watch.start()
        while supervisor.running() and not interrupted.wait(POLL_S):
            pass
    finally:
        stopped.set()
        stopping = time.monotonic()  # no pending line: supervisord's own lines come meanwhile
        code = supervisor.stop()
        out.done("services", time.monotonic() - stopping, f"stopped (supervisord exit code {code})")
    return None if interrupted.is_set() else code


def main() -> int:
    """Run everything in the foreground until SIGINT or SIGTERM; 0 then, else supervisord's exit code."""
    os.environ.setdefault("LOG_FORMAT", "console")  # people read make up's output; containers keep JSON
    out = StepPrinter(sys.stdout.fileno(), max(map(len, STEPS)), live=sys.stdout.isatty())
    out.done("environment", setup_seconds(os.environ), f"Python {platform.python_version()}, {sys.prefix}")
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    given_registry = os.environ.get("SCHEMA_REGISTRY_URL")
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"] = start_kafka(out, external)
    registry = os.environ["SCHEMA_REGISTRY_URL"] = start_registry(out, given_registry, bootstrap)
    with out.step("topics") as step:
        created = asyncio.run(ensure_topics(KafkaSettings()))
        step.detail = f"{len(ALL)} topics, {len(created)} created"
    os.environ.setdefault("PROCESSOR_STORE", "rocksdb://")  # tables survive restarts on disk
    environ = dict(os.environ)
    supervisor, supervisor_env = supervised(environ, LogLinePrinter(out.write, NAME_WIDTH))
    stopped = threading.Event()
    urls = {s.name: s.ready_url(environ) for s in SERVICES}
    rows = url_rows(SERVICES, environ, bootstrap, registry)
    watch = threading.Thread(
        target=report_readiness, args=(out, urls, rows, stopped), name="readiness", daemon=True
    )
    try:
        code = supervise(out, supervisor, supervisor_env, watch, stopped)
    finally:
        for name, stop, ours in (
            ("registry", local_registry.stop, not given_registry),
            ("kafka", local_kafka.stop_single, not external),
        ):
            if ours:
                with out.step(name) as step:
                    stop()
                    step.detail = "stopped"
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
