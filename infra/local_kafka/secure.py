"""A local node whose clients connect over SASL_SSL with SCRAM-SHA-512, apart from the plain nodes.

Every start is fresh: new data, a new CA and broker certificate, and exactly the SCRAM users
given, written into the metadata log at format time (``kafka-storage format --add-scram``), so a
test knows which credentials exist. Only salted SCRAM hashes are stored; the broker never sees
nor logs a password.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from infra.jvm import lifecycle
from infra.jvm.instance import live_pid
from infra.jvm.ports import bindable, port_open
from infra.local_kafka import node, probe
from infra.local_kafka.exceptions import LocalKafkaError
from infra.local_kafka.launcher import assemble, exclusive
from infra.local_kafka.layout import SCRAM_MECHANISM, NodeSpec, secure_spec

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
BIND_WAIT_S = 30.0
BIND_ATTEMPTS = 3
# what the storage tool's --add-scram syntax takes unquoted
_CREDENTIAL = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")


@dataclass(frozen=True)
class SecureBroker:
    """A running secure node: where clients connect, what they trust, where it logs."""

    spec: NodeSpec
    bootstrap: str
    ca_file: Path
    started_in_s: float

    def client_env(self, username: str, password: str) -> dict[str, str]:
        """The ``KAFKA_*`` variables that make a service connect as ``username`` over SASL_SSL."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": SCRAM_MECHANISM,
            "KAFKA_SASL_USERNAME": username,
            "KAFKA_SASL_PASSWORD": password,
            "KAFKA_SSL_CAFILE": str(self.ca_file),
        }

    def log_files(self) -> list[Path]:
        """Every log the node wrote: server.log (and its rolled files), gc.log, the JVM's stdout."""
        logs = [p for p in self.spec.log_dir.rglob("*") if p.is_file()]
        return sorted([*logs, self.spec.stdout_file])


def _scram_args(users: Mapping[str, str]) -> tuple[str, ...]:
    """``--add-scram`` arguments for ``users`` (name → password), refusing what the syntax cannot hold."""
    args: list[str] = []
    for name, password in users.items():
        if not _CREDENTIAL.match(name) or not _CREDENTIAL.match(password):
            raise LocalKafkaError(
                f"SCRAM user {name!r}: names and passwords must be 1-128 of [A-Za-z0-9._~-]"
            )
        args += ["--add-scram", f"{SCRAM_MECHANISM}=[name={name},password={password}]"]
    return tuple(args)


def start_secure(users: Mapping[str, str], timeout: float = START_TIMEOUT_S) -> SecureBroker:
    """Start a fresh secure node (any earlier one is stopped and wiped) with exactly ``users``."""
    if not users:
        raise LocalKafkaError("a secure node needs at least one SCRAM user")
    spec = secure_spec()
    scram = _scram_args(users)
    with exclusive():
        assemble()
        lifecycle.stop(spec.jvm, STOP_TIMEOUT_S)
        shutil.rmtree(spec.directory, ignore_errors=True)
        began = time.monotonic()
        for directory in (spec.directory, spec.data_dir, spec.log_dir):
            directory.mkdir(parents=True, exist_ok=True)
        from infra.local_kafka.tls import write_tls  # needs `cryptography`, from the test extra

        tls = write_tls(spec.tls_dir)
        node.write_properties(spec)
        node.format_storage(spec, extra=scram, secrets=tuple(users.values()))
        _launch(spec, timeout)
        elapsed = time.monotonic() - began
    log.info("secure node ready in %.1fs (SASL_SSL %s)", elapsed, spec.sasl_ssl_bootstrap)
    return SecureBroker(spec, str(spec.sasl_ssl_bootstrap), tls.ca_cert, elapsed)


def _launch(spec: NodeSpec, timeout: float) -> None:
    """Launch the node and wait until it is ready, retrying when one of its ports could not be bound.

    A port can be taken for a while by another program's outgoing connection (overridden ports
    may lie in the ephemeral range), which only a bind attempt notices.
    """
    for attempt in range(1, BIND_ATTEMPTS + 1):
        _wait_bindable(spec)
        launched_at = time.time()
        node.launch(spec)
        try:
            probe.wait_ready([spec], {spec.node_id}, timeout, since=launched_at - 1.0)
        except LocalKafkaError as exc:
            if "Address already in use" not in spec.server_log.read_text(errors="replace") or (
                attempt == BIND_ATTEMPTS
            ):
                raise
            log.warning("%s: a port was taken (%s); launching again", spec.name, exc)
            spec.server_log.rename(spec.server_log.with_suffix(f".bind-failure-{attempt}"))
            continue
        if spec.sasl_ssl_port is None or not port_open(spec.sasl_ssl_port):
            raise LocalKafkaError(f"{spec.name}: SASL_SSL listener not open; see {spec.server_log}")
        return


def _wait_bindable(spec: NodeSpec, wait_s: float = BIND_WAIT_S) -> None:
    """Wait until every port of the node can be bound; raise naming the ports still taken."""
    deadline = time.monotonic() + wait_s
    while taken := [port for port in spec.ports if not bindable(port)]:
        if time.monotonic() >= deadline:
            raise LocalKafkaError(f"{spec.name}: port(s) {taken} in use by another program")
        time.sleep(0.5)


def stop_secure(timeout: float = STOP_TIMEOUT_S) -> None:
    """Stop the secure node if it runs (its data and logs stay until the next start)."""
    with exclusive():
        lifecycle.stop(secure_spec().jvm, timeout)


def secure_running() -> bool:
    """Whether the secure node's JVM is alive."""
    return live_pid(secure_spec().jvm) is not None
