"""Public API: start, stop and inspect the local Apicurio Registry (Confluent-compatible API)."""

from __future__ import annotations

import logging
import signal
import socket
import time
from dataclasses import dataclass

from infra.local_kafka.process import port_open, process_state, request_stop, send_signal, spawn_detached
from infra.local_registry import probe, procs
from infra.local_registry.assemble import assemble
from infra.local_registry.exceptions import LocalRegistryError
from infra.local_registry.java import java_executable
from infra.local_registry.layout import (
    ENV_STORAGE,
    JVM_OPTIONS,
    STORAGE_KAFKASQL,
    RegistrySpec,
    registry_spec,
    run_jar,
)
from infra.local_registry.locking import exclusive

log = logging.getLogger(__name__)

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
CCOMPAT_PATH = "/apis/ccompat/v7"
_IDENTITY_PROPERTIES = ("quarkus.http.port", "quarkus.management.port", "apicurio.storage.kind")


@dataclass(frozen=True)
class RegistryStatus:
    """Observed state of the local registry."""

    url: str
    pid: int | None
    state: str
    storage: str | None
    answers: bool

    @property
    def running(self) -> bool:
        """Return True if the JVM is alive, not suspended, and the ccompat API answers."""
        return self.state == "running" and self.answers


def base_url() -> str:
    """Return the registry's base URL (``http://127.0.0.1:8081`` unless the port is overridden)."""
    return registry_spec().url


def _check_same_settings(spec: RegistrySpec, pid: int) -> None:
    """Raise if the running JVM was launched with another port or storage than spec asks for."""
    wanted = spec.system_properties()
    for name in _IDENTITY_PROPERTIES:
        actual = procs.system_property(pid, name)
        if actual is not None and actual != wanted[name]:
            raise LocalRegistryError(
                f"the registry already runs (pid {pid}) with {name}={actual}, not {wanted[name]}; "
                f"stop it first (python -m infra.local_registry stop)"
            )


def _check_kafka(spec: RegistrySpec) -> None:
    """For KafkaSQL storage, raise unless some bootstrap server accepts TCP connections."""
    servers = [s.strip() for s in (spec.kafka_bootstrap or "").split(",") if s.strip()]
    for server in servers:
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=1.0):
                return
        except (OSError, ValueError):
            continue
    raise LocalRegistryError(
        f"{ENV_STORAGE}={STORAGE_KAFKASQL} needs Kafka at {spec.kafka_bootstrap!r}, which does not answer "
        f"(start it with: python -m infra.local_kafka start)"
    )


def _launch(spec: RegistrySpec) -> int:
    """Start the detached registry JVM, record its pid file and return the pid."""
    props = [f"-D{key}={value}" for key, value in sorted(spec.system_properties().items())]
    cmd = [java_executable(), *JVM_OPTIONS, *props, "-jar", str(run_jar())]
    for directory in (spec.directory, spec.directory / "snapshots", spec.directory / "import"):
        directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    banner = f"{probe.START_MARKER}{stamp} starting registry ({spec.storage} storage)"
    try:
        proc = spawn_detached(cmd, spec.log_file, spec.directory, banner)
    except OSError as exc:
        raise LocalRegistryError(f"could not start java: {exc}") from exc
    spec.pid_file.write_text(f"{proc.pid}\n", encoding="utf-8")
    log.info("started the registry (pid %d, %s, %s storage)", proc.pid, spec.url, spec.storage)
    return proc.pid


def start(timeout: float = START_TIMEOUT_S, spec: RegistrySpec | None = None) -> str:
    """Start (or reuse) the registry (or the instance ``spec``), wait until its ccompat API answers.

    Returns the base URL. Assembling on first use (a ~160 MB download) is not counted in ``timeout``.
    """
    spec = spec or registry_spec()
    with exclusive():
        pid = procs.live_pid(spec)
        if pid is None:
            for port in (spec.port, spec.management_port):
                if port_open(port):
                    raise LocalRegistryError(
                        f"port {port} is already in use by a process this launcher did not start"
                    )
            if spec.storage == STORAGE_KAFKASQL:
                _check_kafka(spec)
            assemble()
            pid = _launch(spec)
        else:
            _check_same_settings(spec, pid)
            if process_state(pid) == "T":
                log.info("the registry (pid %d) was suspended; sending SIGCONT", pid)
                send_signal(pid, signal.SIGCONT)
        probe.wait_ready(spec, pid, timeout)
    return spec.url


def stop(timeout: float = STOP_TIMEOUT_S, spec: RegistrySpec | None = None) -> None:
    """Stop the registry (or the instance ``spec``) if it runs (SIGTERM, then SIGKILL after timeout)."""
    spec = spec or registry_spec()
    with exclusive():
        pid = procs.live_pid(spec)
        if pid is None:
            return
        request_stop(pid)
        procs.finish_stop(spec, pid, timeout)


def status(spec: RegistrySpec | None = None) -> RegistryStatus:
    """Return the observed status of the registry (or of the instance ``spec``)."""
    spec = spec or registry_spec()
    pid = procs.live_pid(spec)
    proc_state = process_state(pid) if pid is not None else None
    states = {None: "down", "T": "suspended", "Z": "exiting"}
    state = states.get(proc_state, "running")
    storage = None
    if pid is not None:
        kind = procs.system_property(pid, "apicurio.storage.kind")
        storage = "mem" if kind == "sql" else kind
    answers = state == "running" and probe.answers(spec)
    return RegistryStatus(spec.url, pid, state, storage, answers)
