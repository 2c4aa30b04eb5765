"""The test session's own Kafka node and schema registry, so that tests never touch the dev ones.

``make up``'s node listens on 127.0.0.1:9092 and its registry on 8081; a test session runs on a
slot of its own. Slot n (0 ≤ n < ``SLOTS``) is the broker 127.0.0.1:18092+2n (controller + 1) and
the registry 127.0.0.1:18181+2n (management + 1, KafkaSQL storage on that broker), with data in
``.local/kafka/session`` and ``.local/registry/session`` (``session-<port>`` past slot 0).

A session holds its slot's lock file (``.local/test-sessions/<n>.lock``) until it ends, so two
sessions of one checkout never share, nor wipe, each other's slot. It takes the first slot whose
lock is free and whose ports no other program holds, after wiping what an earlier session left
there (stopping a JVM that session left running): every session starts on an empty broker and an
empty registry. Both are stopped at the end; their logs stay until the slot's next session.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from infra import local_kafka, local_registry
from infra.exceptions import SessionInfraError
from infra.jvm.layout import local_dir
from infra.jvm.ports import bindable
from infra.local_kafka import layout as kafka_layout
from infra.local_registry import layout as registry_layout

log = logging.getLogger(__name__)

SLOTS = 8
PORT_STEP = 2  # each slot's broker and controller, registry and management: two ports apiece


@dataclass(frozen=True)
class Slot:
    """One place a test session's broker and registry can run: their ports, data and lock file."""

    index: int

    @property
    def kafka(self) -> kafka_layout.NodeSpec:
        """The spec of the slot's broker (no JMX)."""
        return kafka_layout.session_spec(kafka_layout.DEFAULT_SESSION_PORT + PORT_STEP * self.index)

    def registry(self, kafka_bootstrap: str | None) -> registry_layout.RegistrySpec:
        """The spec of the slot's registry: KafkaSQL on ``kafka_bootstrap``, else in memory."""
        port = registry_layout.DEFAULT_SESSION_PORT + PORT_STEP * self.index
        return registry_layout.session_spec(port, kafka_bootstrap)

    @property
    def ports(self) -> tuple[int, ...]:
        """Every port the slot's JVMs listen on."""
        kafka, registry = self.kafka, self.registry(None)
        return (kafka.broker_port, kafka.controller_port, registry.port, registry.management_port)

    @property
    def lock_file(self) -> Path:
        """The file a session holds (flock) while the slot is its own."""
        return local_dir() / "test-sessions" / f"{self.index}.lock"


def wipe(slot: Slot) -> None:
    """Stop whatever JVM an earlier session left on the slot and delete the slot's data and logs."""
    registry = slot.registry(None)  # an instance is known by its directory, whatever its storage
    local_registry.stop(spec=registry)
    shutil.rmtree(registry.directory, ignore_errors=True)
    local_kafka.reset_single(slot.kafka)


@contextmanager
def _held(path: Path) -> Iterator[bool]:
    """Whether this process got the lock on ``path`` (not waiting); held until the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True  # closing the file releases the lock


@contextmanager
def claimed_slot(slots: int = SLOTS) -> Iterator[Slot]:
    """The first slot no other session holds and whose ports are free, wiped; its lock held until exit."""
    refused: list[str] = []
    for index in range(slots):
        slot = Slot(index)
        with _held(slot.lock_file) as held:
            if not held:
                refused.append(f"slot {index}: another test session holds {slot.lock_file}")
                continue
            wipe(slot)
            if taken := [port for port in slot.ports if not bindable(port)]:
                refused.append(f"slot {index}: port(s) {taken} in use by another program")
                continue
            log.info("test session slot %d: broker port %d", index, slot.kafka.broker_port)
            yield slot
            return
    raise SessionInfraError("no slot for the test session's own broker and registry: " + "; ".join(refused))


@contextmanager
def own_kafka(slot: Slot) -> Iterator[str]:
    """The slot's broker, started (on the data :func:`claimed_slot` wiped); stopped on exit."""
    spec = slot.kafka
    try:
        yield local_kafka.start_single(spec=spec)
    finally:  # also when it failed to start: the launcher leaves a slow JVM running
        local_kafka.stop_single(spec=spec)


@contextmanager
def own_registry(slot: Slot, kafka_bootstrap: str | None) -> Iterator[str]:
    """The slot's registry (its ccompat base URL), KafkaSQL on ``kafka_bootstrap`` else in memory."""
    spec = slot.registry(kafka_bootstrap)
    try:
        yield local_registry.start(spec=spec) + local_registry.CCOMPAT_PATH
    finally:
        local_registry.stop(spec=spec)
