"""Blocking readiness probe: TCP check, then a real Kafka metadata request via aiokafka."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiokafka.client import AIOKafkaClient  # type: ignore[import-untyped,unused-ignore]  # aiokafka ships no py.typed here
from aiokafka.errors import KafkaError  # type: ignore[import-untyped,unused-ignore]  # aiokafka ships no py.typed here

from infra.jvm.instance import live_pid
from infra.jvm.ports import port_open
from infra.jvm.readiness import latest_run, poll_until_ready, probe_limit, tail_lines
from infra.local_kafka.exceptions import LocalKafkaError
from infra.local_kafka.layout import NodeSpec, bootstrap_of

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 5.0


async def _fetch_broker_ids(bootstrap: str, limit_s: float) -> set[int]:
    """Send a Metadata request to bootstrap (first answering host) and return the broker ids it lists."""
    client = AIOKafkaClient(
        bootstrap_servers=bootstrap,
        client_id="shopstream-local-kafka-probe",
        request_timeout_ms=int(limit_s * 1000),
    )
    try:
        async with asyncio.timeout(limit_s):
            await client.bootstrap()
        return {int(broker.nodeId) for broker in client.cluster.brokers()}
    finally:
        await client.close()


def _probe_in_thread(bootstrap: str, timeout: float) -> set[int]:
    """Run the metadata fetch on a private event loop in a worker thread."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kafka-probe") as pool:
        future = pool.submit(asyncio.run, _fetch_broker_ids(bootstrap, timeout))
        return future.result()


def broker_ids(bootstrap: str, timeout: float = PROBE_TIMEOUT_S) -> set[int]:
    """Return registered broker ids seen via bootstrap, or an empty set if it does not answer."""
    try:
        return _probe_in_thread(bootstrap, timeout)
    except (KafkaError, OSError, TimeoutError) as exc:
        log.debug("metadata probe of %s failed: %r", bootstrap, exc)
        return set()


def _fresh(path: Path, since: float) -> bool:
    """Return True if path was modified at or after the wall-clock time since."""
    try:
        return path.stat().st_mtime >= since
    except OSError:
        return False


def failure_summary(spec: NodeSpec, since: float = 0.0) -> str:
    """Return the last ERROR (plus its exception line) from server.log, else the JVM's own output."""
    lines = tail_lines(spec.server_log) if _fresh(spec.server_log, since) else []
    for index in range(len(lines) - 1, -1, -1):
        if " ERROR " in lines[index] or " FATAL " in lines[index]:
            follow = lines[index + 1 : index + 2]
            return "\n".join(lines[index : index + 1] + [f for f in follow if not f.startswith("[")])
    return "\n".join(line for line in latest_run(spec.stdout_file, 8192)[-5:] if line.strip())


def _check_alive(specs: Iterable[NodeSpec], since: float) -> None:
    """Raise if any node's JVM has exited, pointing at its logs and quoting the likely cause."""
    for spec in specs:
        if live_pid(spec.jvm) is None:
            raise LocalKafkaError(
                f"Kafka {spec.name} exited during startup; see {spec.server_log} "
                f"and {spec.stdout_file}\n{failure_summary(spec, since)}".rstrip()
            )


def _node_ready(spec: NodeSpec, expected_ids: set[int], deadline: float) -> bool:
    """Return True if the node's broker port answers a Metadata request listing expected_ids."""
    if not port_open(spec.broker_port):
        return False
    return expected_ids <= broker_ids(spec.bootstrap, probe_limit(deadline, PROBE_TIMEOUT_S))


def wait_ready(specs: list[NodeSpec], expected_ids: set[int], timeout: float, since: float = 0.0) -> None:
    """Block until every node answers a Metadata request listing expected_ids, else raise LocalKafkaError.

    ``since``: wall-clock launch time; log lines older than that are not quoted as the cause.
    """

    def timed_out() -> LocalKafkaError:
        logs = ", ".join(str(spec.server_log) for spec in specs)
        return LocalKafkaError(
            f"Kafka at {bootstrap_of(specs)} not ready after {timeout:.0f}s "
            f"(waiting for brokers {sorted(expected_ids)}; the JVMs are left running, "
            f"call start again to keep waiting or stop them); see {logs}"
        )

    poll_until_ready(
        ready=lambda deadline: all(_node_ready(spec, expected_ids, deadline) for spec in specs),
        check_alive=lambda: _check_alive(specs, since),
        timeout=timeout,
        timed_out=timed_out,
    )
