"""Public API: assemble, start, stop, inspect and disturb the local single node and 3-node KRaft cluster."""

from __future__ import annotations

import logging
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from infra.jvm import assembly, lifecycle, procfs
from infra.jvm.instance import live_pid
from infra.jvm.ports import port_open, wait_closed
from infra.local_kafka import node, probe
from infra.local_kafka.exceptions import LocalKafkaError
from infra.local_kafka.layout import (
    POM_FILE,
    NodeSpec,
    bootstrap_of,
    cluster_specs,
    kafka_dir,
    lib_dir,
    single_spec,
)
from infra.locking import FileLock

log = logging.getLogger(__name__)

# serialises assemble/start/stop of every local node (plain, cluster, secure) across processes
exclusive = FileLock(lambda: kafka_dir() / ".lock")

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
SIGNAL_WAIT_S = 5.0
NO_QUORUM_STOP_S = 5.0
PORT_FREE_WAIT_S = 3.0
_TERMINATING = frozenset({signal.SIGKILL, signal.SIGTERM, signal.SIGINT})


@dataclass(frozen=True)
class NodeStatus:
    """Observed state of one node."""

    name: str
    bootstrap: str
    pid: int | None
    state: str
    port_open: bool

    @property
    def running(self) -> bool:
        """Return True if the JVM is alive, not suspended, and its broker port accepts connections."""
        return self.state == "running" and self.port_open


def assemble(force: bool = False) -> Path:
    """Populate ``<local>/kafka/lib`` with the Kafka jars (skipped when already current); return it.

    Raises LocalKafkaError when Maven is missing or fails.
    """
    goal = ("dependency:copy-dependencies", "-DincludeScope=runtime")
    jars = assembly.MavenAssembly(
        "the Kafka jars", POM_FILE, lib_dir(), goal, "kafka_2.13-*.jar", LocalKafkaError
    )
    return assembly.assemble(jars, force)


def _needs_launch(spec: NodeSpec) -> bool:
    """Return True if the node has no live JVM; resume it if it was SIGSTOPped."""
    pid = live_pid(spec.jvm)
    if pid is None:
        if not wait_closed(spec.ports, PORT_FREE_WAIT_S):
            jmx = f" or JMX port {spec.jmx_port}" if spec.jmx_port else ""
            raise LocalKafkaError(
                f"{spec.name}: port {spec.broker_port} or {spec.controller_port}{jmx} is already in use "
                f"by a process this launcher did not start"
            )
        return True
    if not node.config_is_current(spec):
        raise LocalKafkaError(
            f"{spec.name} (pid {pid}) runs with an older {spec.properties_file.name}; stop it first"
        )
    if not procfs.runs_with(pid, spec.jmx_flags()):
        raise LocalKafkaError(
            f"{spec.name} (pid {pid}) runs without JMX on port {spec.jmx_port}; stop it first "
            f"or unset SHOPSTREAM_LOCAL_KAFKA_JMX_PORT"
        )
    lifecycle.resume_if_suspended(spec.jvm, pid)
    return False


def _start(specs: list[NodeSpec], expected_ids: set[int], timeout: float) -> None:
    """Start the nodes without a live JVM and wait until expected_ids are registered brokers."""
    with exclusive():
        assemble()
        missing = [spec for spec in specs if _needs_launch(spec)]
        launched_at = time.time()
        node.prepare_all(missing)
        for spec in missing:
            node.launch(spec)
        probe.wait_ready(specs, expected_ids, timeout, since=launched_at - 1.0)


def _stop(specs: list[NodeSpec], timeout: float) -> None:
    """Stop every node in specs concurrently: SIGTERM all, then wait/SIGKILL each."""
    with exclusive():
        running = [(spec, pid) for spec in specs if (pid := live_pid(spec.jvm)) is not None]
        # Without a controller quorum among the survivors, controlled shutdown cannot finish.
        if len(running) < len(specs) // 2 + 1:
            timeout = min(timeout, NO_QUORUM_STOP_S)
        for _spec, pid in running:
            lifecycle.request_stop(pid)
        for spec, pid in running:
            lifecycle.finish_stop(spec.jvm, pid, timeout)


def _reset(specs: list[NodeSpec]) -> None:
    """Stop the nodes and delete their directories, including the group's cluster id."""
    with exclusive():
        _stop(specs, STOP_TIMEOUT_S)
        for group_dir in {spec.group_dir for spec in specs}:
            shutil.rmtree(group_dir, ignore_errors=True)


def _status(spec: NodeSpec) -> NodeStatus:
    """Return the observed status of one node."""
    pid = live_pid(spec.jvm)
    return NodeStatus(spec.name, spec.bootstrap, pid, procfs.state_name(pid), port_open(spec.broker_port))


def _cluster_node(node_id: int) -> NodeSpec:
    """Return the spec of cluster node node_id or raise for an unknown id."""
    for spec in cluster_specs():
        if spec.node_id == node_id:
            return spec
    raise LocalKafkaError(f"no cluster node {node_id}; ids are 1..{len(cluster_specs())}")


def single_bootstrap() -> str:
    """Return the single node's bootstrap string without starting anything."""
    return single_spec().bootstrap


def cluster_bootstrap() -> str:
    """Return the cluster's bootstrap string without starting anything."""
    return bootstrap_of(cluster_specs())


def start_single(timeout: float = START_TIMEOUT_S, spec: NodeSpec | None = None) -> str:
    """Start (or reuse) the single dev node (or the lone node ``spec``) and return its bootstrap string."""
    spec = spec or single_spec()
    _start([spec], {spec.node_id}, timeout)
    return spec.bootstrap


def start_cluster(timeout: float = START_TIMEOUT_S) -> str:
    """Start (or reuse) all three cluster nodes and return the cluster bootstrap string."""
    specs = cluster_specs()
    _start(specs, {spec.node_id for spec in specs}, timeout)
    return bootstrap_of(specs)


def stop_single(timeout: float = STOP_TIMEOUT_S, spec: NodeSpec | None = None) -> None:
    """Stop the single dev node (or the lone node ``spec``) if it runs."""
    _stop([spec or single_spec()], timeout)


def stop_cluster(timeout: float = STOP_TIMEOUT_S) -> None:
    """Stop every cluster node that runs."""
    _stop(cluster_specs(), timeout)


def reset_single(spec: NodeSpec | None = None) -> None:
    """Stop the single node (or the lone node ``spec``) and delete its data."""
    _reset([spec or single_spec()])


def reset_cluster() -> None:
    """Stop the cluster and delete all node data."""
    _reset(cluster_specs())


def status_single(spec: NodeSpec | None = None) -> list[NodeStatus]:
    """Return the status of the single node (or the lone node ``spec``)."""
    return [_status(spec or single_spec())]


def status_cluster() -> list[NodeStatus]:
    """Return the status of each cluster node."""
    return [_status(spec) for spec in cluster_specs()]


def start_node(node_id: int, timeout: float = START_TIMEOUT_S) -> str:
    """Start (or resume) one cluster node, wait until it is registered; return the cluster bootstrap."""
    _start([_cluster_node(node_id)], {node_id}, timeout)
    return bootstrap_of(cluster_specs())


def kill_node(node_id: int, sig: signal.Signals = signal.SIGKILL, wait: bool = True) -> None:
    """Send sig to one cluster node; with wait, block until it took effect (exited/suspended/resumed)."""
    spec = _cluster_node(node_id)
    with exclusive():
        pid = live_pid(spec.jvm)
        if pid is None:
            log.info("%s is not running; not sending %s", spec.name, sig.name)
            return
        procfs.send_signal(pid, sig)
        if not wait:
            return
        if sig in _TERMINATING:
            timeout = 10.0 if sig == signal.SIGKILL else STOP_TIMEOUT_S
            lifecycle.finish_stop(spec.jvm, pid, timeout)
        elif sig in (signal.SIGSTOP, signal.SIGCONT):
            procfs.wait_suspended(pid, sig == signal.SIGSTOP, SIGNAL_WAIT_S, LocalKafkaError)
