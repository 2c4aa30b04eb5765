"""The same one-hop validation step as a ShopStream processor: our Faust machinery, nothing else.

``make_app`` + ``raw_topic`` + ``BatchRunner`` (batches, decode, partition check, dead letters,
metrics) exactly as every processor uses them, so the figure is what one of our hops costs, beside the
raw loop and Quix Streams. Each run is a worker subprocess (Faust owns its event loop) configured by
environment like a deployed processor; ``PROCESSOR_LINGER_MS`` passes through, which is how the bench
shows the producer-linger change.

``python -m bench.anchors.faust_hop RECORDS SERVICE OUT`` is the subprocess: it writes
``{"records_per_s": ...}`` to the file OUT once the RECORDS-th output is acknowledged (Faust redirects
stdout), then stops its worker. With RECORDS 0 it never reports nor stops itself: a worker among
others of its consumer group (``bench.scale_out``), each seeing only its own partitions, whose rate
is measured from outside and which is stopped from outside (SIGTERM).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import faust

from bench.anchors import AnchorTopics, check, now_ms
from bench.common import free_port
from schemas.topics import Topics
from stream_processors.common.app import make_app, prepared_serdes, raw_topic
from stream_processors.common.batch import Batch, Input
from stream_processors.common.dead_letters import DeadLetters
from stream_processors.common.runtime import BatchRunner, batch_agent
from stream_processors.common.settings import ProcessorSettings
from stream_processors.common.worker import run_worker


def create_app(settings: ProcessorSettings, service: str, records: int, out: Path) -> faust.App:
    """One agent: order-requests → check → order-validations; reports, stops after ``records`` (0: never)."""
    prefix = settings.kafka.topic_prefix
    app = make_app(service, settings)
    serdes = prepared_serdes(app, settings, writes=[Topics.ORDER_VALIDATIONS])
    dead = DeadLetters(app, service, prefix)
    sink = raw_topic(app, Topics.ORDER_VALIDATIONS, prefix)
    source = Topics.ORDER_REQUESTS.full_name(prefix)
    validation = serdes(Topics.ORDER_VALIDATIONS)
    done: dict[str, float] = {"n": 0, "start": 0.0}

    async def on_event(item: Input, batch: Batch) -> None:
        if not done["start"]:
            done["start"] = time.perf_counter()
        batch.send(sink, item.key, validation.encode(check(item.record, now_ms())))
        done["n"] += 1
        if records and done["n"] == records:
            batch.after_delivery(report)

    def report() -> None:
        rate = records / (time.perf_counter() - done["start"])
        out.write_text(json.dumps({"records_per_s": rate}))
        asyncio.get_running_loop().call_soon(os.kill, os.getpid(), signal.SIGTERM)

    runner = BatchRunner(app, dead, {source: serdes(Topics.ORDER_REQUESTS)}, on_event, settings)
    batch_agent(app, "hop", raw_topic(app, Topics.ORDER_REQUESTS, prefix), runner)
    return app


def worker_env(topics: AnchorTopics, web_port: int, data_dir: str, **env: str) -> dict[str, str]:
    """The environment of a hop worker on ``topics``: this process's, the topics', its port and state dir."""
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": topics.kafka.bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": topics.prefix,
        "SCHEMA_REGISTRY_URL": topics.registry.registry_url,
        "PROCESSOR_WEB_PORT": str(web_port),
        "PROCESSOR_LOG_LEVEL": "WARNING",
        **env,
        "PROCESSOR_DATA_DIR": data_dir,
    }


def worker_argv(service: str, records: int, out: Path) -> list[str]:
    """The command of a hop worker of consumer group ``service`` (see the module docstring)."""
    return [sys.executable, "-m", "bench.anchors.faust_hop", str(records), service, str(out)]


def run_once(topics: AnchorTopics, records: int, timeout_s: float = 120, **env: str) -> float:
    """One worker over the first ``records`` of the backlog, in a new consumer group; records/s."""
    service = f"bench-hop-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="bench-faust-") as scratch:
        out = Path(scratch) / "rate.json"
        done = subprocess.run(  # noqa: S603 - our own module, with this interpreter
            worker_argv(service, records, out),
            env=worker_env(topics, free_port(), scratch, **env),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if not out.exists():
            raise RuntimeError(f"faust hop wrote no rate (exit {done.returncode}): {done.stderr[-2000:]}")
        return float(json.loads(out.read_text())["records_per_s"])


if __name__ == "__main__":
    hop_settings = ProcessorSettings()
    hop = create_app(hop_settings, sys.argv[2], int(sys.argv[1]), Path(sys.argv[3]))
    run_worker(hop, sys.argv[2], hop_settings.log_level)
