"""``make up``: start the local Kafka, create the topics, run every service under honcho.

Ctrl-C stops the services (honcho forwards the signal) and then the broker.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys

from honcho.manager import Manager

from infra import local_kafka, local_registry
from infra.services import SERVICES
from infra.settings import KafkaSettings
from infra.topics import ensure_topics
from producers.ingest_api import keys


def _say(line: str) -> None:
    """Write one line for the person at the terminal."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


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


def main() -> int:
    """Run everything in the foreground until interrupted; return honcho's exit code."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    own_registry = not os.environ.get("SCHEMA_REGISTRY_URL")
    bootstrap = external or local_kafka.start_single()
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    _say(f"kafka       {bootstrap}")
    registry = os.environ.get("SCHEMA_REGISTRY_URL")
    if not registry:
        os.environ.setdefault("SHOPSTREAM_LOCAL_REGISTRY_KAFKA_BOOTSTRAP", bootstrap.split(",")[0])
        registry = local_registry.start() + local_registry.CCOMPAT_PATH
        os.environ["SCHEMA_REGISTRY_URL"] = registry
    _say(f"registry    {registry}")
    asyncio.run(ensure_topics(KafkaSettings()))
    os.environ.setdefault("PROCESSOR_STORE", "rocksdb://")  # tables survive restarts on disk
    rate = os.environ.get("SIMULATOR_RATE", "5")
    simulating = float(rate) > 0  # a gentle flow, so the read models and dashboard are alive from the start
    environ = with_simulator_key(dict(os.environ)) if simulating else dict(os.environ)
    key = environ.pop("SIMULATOR_API_KEY", None)
    manager = Manager()
    for service in SERVICES:
        manager.add_process(service.name, shlex.join(service.argv()), env=environ)
    if simulating:
        simulator = [sys.executable, "-m", "producers.simulator", "--rate", rate, "--duration", "86400"]
        with_key = environ if key is None else {**environ, "SIMULATOR_API_KEY": key}
        manager.add_process("simulator", shlex.join(simulator), env=with_key)
    for service in SERVICES:
        port = os.environ.get(service.port_env, service.default_port)
        pages = "/docs" if service.http_api else "/readyz /metrics"
        _say(f"{service.name:<12}http://127.0.0.1:{port}  ({pages})")
    _say("Ctrl-C stops everything.")
    try:
        manager.loop()
    finally:
        if own_registry:
            local_registry.stop()
            _say("registry stopped")
        if not external:
            local_kafka.stop_single()
            _say("kafka stopped")
    return int(manager.returncode or 0)


if __name__ == "__main__":
    sys.exit(main())
