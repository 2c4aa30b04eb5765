"""``make up``: start the local Kafka, create the topics, run every service under honcho.

Each step is printed as it completes, with its time; then each service as its readiness page
answers, and a table of URLs. Ctrl-C stops the services (honcho forwards the signal) and then the broker.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import platform
import shlex
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence

from honcho.manager import Manager

from infra import local_kafka, local_registry
from infra.services import SERVICES
from infra.settings import KafkaSettings
from infra.topics import ensure_topics
from infra.up_output import LogLinePrinter, StepPrinter, format_table, url_rows
from producers.ingest_api import keys
from schemas.topics import ALL

READY_TIMEOUT_S = 120.0  # a processor recovering its tables from RocksDB may take a while
POLL_S = 0.5
STEPS = ("environment", "kafka", "registry", "topics", *(s.name for s in SERVICES))


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
    Nothing more is printed once ``stopped`` is set (honcho has ended).
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
    """The broker's bootstrap string: ``KAFKA_BOOTSTRAP_SERVERS`` as given, or the local node started."""
    with out.step("kafka") as step:
        bootstrap = external or local_kafka.start_single()
        step.detail = f"{bootstrap} (KAFKA_BOOTSTRAP_SERVERS)" if external else bootstrap
    return bootstrap


def start_registry(out: StepPrinter, given: str | None, bootstrap: str) -> str:
    """``SCHEMA_REGISTRY_URL`` as given, or the URL of the local registry, started on ``bootstrap``."""
    with out.step("registry") as step:
        registry = given
        if not registry:
            os.environ.setdefault("SHOPSTREAM_LOCAL_REGISTRY_KAFKA_BOOTSTRAP", bootstrap.split(",")[0])
            registry = local_registry.start() + local_registry.CCOMPAT_PATH
        step.detail = f"{registry} (SCHEMA_REGISTRY_URL)" if given else registry
    return registry


def services_manager(environ: dict[str, str]) -> Manager:
    """honcho with every service, and the simulator unless ``SIMULATOR_RATE`` is 0."""
    rate = environ.get("SIMULATOR_RATE", "5")
    simulating = float(rate) > 0  # a gentle flow, so the read models and dashboard are alive from the start
    with_key = with_simulator_key(environ) if simulating else environ
    without_key = {k: v for k, v in with_key.items() if k != "SIMULATOR_API_KEY"}  # the simulator's only
    manager = Manager(printer=LogLinePrinter(sys.stdout))
    for service in SERVICES:
        manager.add_process(service.name, shlex.join(service.argv()), env=without_key)
    if simulating:
        simulator = [sys.executable, "-m", "producers.simulator", "--rate", rate, "--duration", "86400"]
        manager.add_process("simulator", shlex.join(simulator), env=with_key)
    return manager


def main() -> int:
    """Run everything in the foreground until interrupted; return honcho's exit code."""
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
    manager = services_manager(environ)
    stopped = threading.Event()
    rows = url_rows(SERVICES, environ, bootstrap, registry)
    watch = threading.Thread(
        target=report_readiness,
        args=(out, {s.name: s.ready_url(environ) for s in SERVICES}, rows, stopped),
        name="readiness",
        daemon=True,
    )
    watch.start()
    try:
        manager.loop()
    finally:
        stopped.set()
        for name, stop, ours in (
            ("registry", local_registry.stop, not given_registry),
            ("kafka", local_kafka.stop_single, not external),
        ):
            if ours:
                with out.step(name) as step:
                    stop()
                    step.detail = "stopped"
    return int(manager.returncode or 0)


if __name__ == "__main__":
    sys.exit(main())
