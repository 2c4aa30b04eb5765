"""Public API: assemble, start, stop and inspect the local Apicurio Registry (Confluent-compatible API)."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from pathlib import Path

from infra.jvm import assembly, lifecycle
from infra.jvm.instance import find_running, live_pid
from infra.jvm.java import find_java
from infra.jvm.ports import port_open
from infra.jvm.procfs import state_name, system_property
from infra.local_registry import probe
from infra.local_registry.exceptions import LocalRegistryError
from infra.local_registry.layout import (
    ENV_JAVA_HOME,
    ENV_STORAGE,
    JVM_OPTIONS,
    LAUNCHER_JAR,
    MIN_JAVA,
    POM_FILE,
    STORAGE_KAFKASQL,
    RegistrySpec,
    app_dir,
    registry_dir,
    registry_spec,
    run_jar,
)
from infra.locking import FileLock

log = logging.getLogger(__name__)

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
CCOMPAT_PATH = "/apis/ccompat/v7"
_IDENTITY_PROPERTIES = ("quarkus.http.port", "quarkus.management.port", "apicurio.storage.kind")

# serialises assemble/start/stop of every local registry instance (dev and test sessions')
exclusive = FileLock(lambda: registry_dir() / ".lock")


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


def assemble(force: bool = False) -> Path:
    """Populate ``<local>/registry/quarkus-app`` (skipped when already current); return it.

    Raises LocalRegistryError while any registry instance runs from it, or when Maven fails.
    """
    work = registry_dir() / "maven"
    goal = ("--strict-checksums", "dependency:unpack", f"-Dregistry.work.dir={work}")
    distribution = assembly.MavenAssembly(
        "Apicurio Registry", POM_FILE, app_dir(), goal, LAUNCHER_JAR, LocalRegistryError, scratch=work
    )
    with exclusive():
        if not force and assembly.is_current(distribution):
            return distribution.target
        pid = live_pid(registry_spec().jvm) or find_running((str(run_jar()),))  # the dev's or a session's
        if pid is not None:
            raise LocalRegistryError(
                f"the registry runs from {app_dir()} (pid {pid}); stop it before assembling"
            )
        return assembly.assemble(distribution, force=True)


def _check_same_settings(spec: RegistrySpec, pid: int) -> None:
    """Raise if the running JVM was launched with another port or storage than spec asks for."""
    wanted = spec.system_properties()
    for name in _IDENTITY_PROPERTIES:
        actual = system_property(pid, name)
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
    java = find_java(MIN_JAVA, "Apicurio Registry", LocalRegistryError, home_env=ENV_JAVA_HOME)
    props = [f"-D{key}={value}" for key, value in sorted(spec.system_properties().items())]
    for directory in (spec.directory, spec.snapshots_dir, spec.directory / "import"):
        directory.mkdir(parents=True, exist_ok=True)
    cmd = [java, *JVM_OPTIONS, *props, "-jar", str(run_jar())]
    return lifecycle.launch(spec.jvm, cmd, f"{spec.url}, {spec.storage} storage")


def start(timeout: float = START_TIMEOUT_S, spec: RegistrySpec | None = None) -> str:
    """Start (or reuse) the registry (or the instance ``spec``), wait until its ccompat API answers.

    Returns the base URL. Assembling on first use (a ~160 MB download) is not counted in ``timeout``.
    Raises LocalRegistryError when a port is taken, Kafka is missing, or it does not answer in time.
    """
    spec = spec or registry_spec()
    with exclusive():
        pid = live_pid(spec.jvm)
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
            lifecycle.resume_if_suspended(spec.jvm, pid)
        probe.wait_ready(spec, pid, timeout)
    return spec.url


def stop(timeout: float = STOP_TIMEOUT_S, spec: RegistrySpec | None = None) -> None:
    """Stop the registry (or the instance ``spec``) if it runs (SIGTERM, then SIGKILL after timeout)."""
    spec = spec or registry_spec()
    with exclusive():
        lifecycle.stop(spec.jvm, timeout)


def status(spec: RegistrySpec | None = None) -> RegistryStatus:
    """Return the observed status of the registry (or of the instance ``spec``)."""
    spec = spec or registry_spec()
    pid = live_pid(spec.jvm)
    state = state_name(pid)
    storage = None
    if pid is not None:
        kind = system_property(pid, "apicurio.storage.kind")
        storage = "mem" if kind == "sql" else kind
    answers = state == "running" and probe.answers(spec)
    return RegistryStatus(spec.url, pid, state, storage, answers)
