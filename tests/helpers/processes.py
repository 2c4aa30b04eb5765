"""Runs services of infra.services as real processes for integration and e2e tests."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from infra.services import SERVICES, Service
from infra.session_names import unique
from infra.settings import KafkaSettings
from infra.topics import ensure_topics

LOG_DIR = Path(".local/test-logs")
READY_TIMEOUT_S = 90


def _ephemeral_low() -> int:
    """The first port Linux hands to outgoing connections (32768 unless configured otherwise)."""
    ports = Path("/proc/sys/net/ipv4/ip_local_port_range")
    return int(ports.read_text().split()[0]) if ports.exists() else 32768


# Below the ephemeral range: a port picked there cannot be taken by some client's outgoing
# connection before the service binds it (which made a worker fail with "address already in use").
PORTS = range(20000, _ephemeral_low())
_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now, never handed out before in this run."""
    for port in random.sample(PORTS, len(PORTS)):
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {PORTS}")


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped by its parent, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # the state follows the name in parentheses


def service(name: str) -> Service:
    """The service called ``name`` in infra.services."""
    return next(s for s in SERVICES if s.name == name)


@dataclass
class Running:
    """One started service process."""

    service: Service
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    env: Mapping[str, str]

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Poll /readyz until 200; fail with the service's log if it dies or takes too long."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"{self.service.name} exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}"
                )
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"{self.service.name} not ready in {timeout_s}s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: a crash, no clean shutdown."""
        self.proc.kill()
        self.proc.wait()

    def restart(self) -> None:
        """Start the same service again, same port and environment (its log is appended)."""
        self.proc = _spawn(self.service, self.env, self.log, append=True)

    def stop(self, timeout_s: float = 20) -> None:
        """SIGTERM, then SIGKILL if it has not exited in time."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _spawn(svc: Service, env: Mapping[str, str], log: Path, append: bool = False) -> subprocess.Popen[bytes]:
    """The service's process, its output going to ``log``."""
    argv = svc.argv()  # built from infra.services, never from input
    with log.open("ab" if append else "wb") as out:
        return subprocess.Popen(argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603 - argv from infra.services, never from input


def start(svc: Service, port: int, env: Mapping[str, str], tag: str = "") -> Running:
    """Start ``svc`` on ``port`` with ``env`` added to this process's environment."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"{tag}{svc.name}-{port}.log"
    full_env = {**env, svc.port_env: str(port)}
    return Running(svc, port, _spawn(svc, full_env, log), log, full_env)


@contextmanager
def running(
    services: Sequence[Service], env: Mapping[str, str], ports: Mapping[str, int] | None = None, tag: str = ""
) -> Iterator[dict[str, Running]]:
    """Start ``services`` (on ``ports`` where given, else free ones), wait until ready, stop on exit."""
    started: dict[str, Running] = {}
    try:
        for svc in services:
            started[svc.name] = start(svc, (ports or {}).get(svc.name) or free_port(), env, tag)
        for proc in started.values():
            proc.wait_ready()
        yield started
    finally:
        for proc in started.values():
            proc.stop()


def own_topics(stem: str, kafka: str, registry: str) -> tuple[KafkaSettings, dict[str, str]]:
    """A fresh topic prefix with every topic created, and the environment pointing services at it."""
    settings = KafkaSettings(bootstrap_servers=kafka, topic_prefix=unique(stem) + ".")
    asyncio.run(ensure_topics(settings))
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_PREFIX": settings.topic_prefix,
        "SCHEMA_REGISTRY_URL": registry,
    }
    return settings, env


@contextmanager
def on_own_topics(names: Sequence[str], kafka: str, registry: str, **env: str) -> Iterator[KafkaSettings]:
    """The services called ``names`` alone, on topics of their own (a fresh prefix), with ``env``."""
    stem = names[0].split("-")[0]
    settings, base = own_topics(stem, kafka, registry)
    with running([service(name) for name in names], {**base, **env}, tag=f"{stem}-"):
        yield settings
