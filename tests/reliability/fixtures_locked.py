"""Fixtures of the locked-doors tests: a fresh SASL_SSL (SCRAM) node and a system behind it and an API key.

Imported by ``test_locked_doors.py`` only (module scope: one secure broker, one system per run).
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from infra import local_kafka
from infra.api_keys import digest, new_key
from infra.local_kafka import SecureBroker
from infra.services import Service
from infra.settings import KafkaSettings
from tests.e2e.systems import ServiceUrls, kafka_settings_of, start_system
from tests.helpers.processes import Running, service

USER = "shopstream-svc"
# what an order needs to reach VALIDATED or FAILED: the state machine and its three checks
CHECKS: tuple[Service, ...] = tuple(service(n) for n in ("orders", "order-details", "inventory", "fraud"))


@dataclass
class SecureKafka:
    """The running secure node and the one SCRAM user it knows."""

    broker: SecureBroker
    username: str
    password: str

    def settings(self, password: str | None = None, **changes: str) -> KafkaSettings:
        """Client settings as that user (or with another ``password``), with ``changes`` on top."""
        env = self.broker.client_env(self.username, self.password if password is None else password)
        return kafka_settings_of({**env, **{f"KAFKA_{k.upper()}": v for k, v in changes.items()}})


@dataclass
class LockedSystem(ServiceUrls):
    """ingest-api (API keys required), query-api and the checks, all on the secure node."""

    kafka: SecureKafka
    api_key: str
    services: dict[str, Running]
    secrets: list[str] = field(default_factory=list)

    @property
    def topic_prefix(self) -> str:
        return self.services["ingest-api"].env["KAFKA_TOPIC_PREFIX"]

    def stop_services(self) -> None:
        """Stop every service now, so their logs are complete (stopping again later is harmless)."""
        for running in self.services.values():
            running.stop()

    def all_logs(self) -> list[Path]:
        """Every log of the run: each service's output and every file the broker logged to."""
        return [*(r.log for r in self.services.values()), *self.kafka.broker.log_files()]


def encodings(secret: str) -> list[str]:
    """``secret`` as it might leak: itself and its base64 forms (standard, URL-safe, unpadded)."""
    raw = secret.encode()
    forms = {secret, base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    return sorted(forms | {f.rstrip("=") for f in forms})


@pytest.fixture(scope="module", name="secure_kafka")
def secure_kafka_fixture() -> Iterator[SecureKafka]:
    """A fresh SASL_SSL node with one SCRAM-SHA-512 user and a random password; stopped afterwards."""
    password = secrets.token_urlsafe(24)
    broker = local_kafka.start_secure({USER: password})
    print(f"\nsecure broker (fresh data, TLS, SCRAM user) ready in {broker.started_in_s:.1f}s")  # noqa: T201 - a figure for the test report
    try:
        yield SecureKafka(broker, USER, password)
    finally:
        local_kafka.stop_secure()


@pytest.fixture(scope="module", name="locked_system")
def locked_system_fixture(secure_kafka: SecureKafka, schema_registry: str) -> Iterator[LockedSystem]:
    """The system on the secure node with ``INGEST_API_KEYS`` set (only the key's digest is passed)."""
    api_key = new_key()
    env = {
        **secure_kafka.broker.client_env(secure_kafka.username, secure_kafka.password),
        "INGEST_API_KEYS": f'{{"tests": "{digest(api_key)}"}}',
    }
    tag = f"locked-{uuid.uuid4().hex[:6]}-"
    with start_system(env["KAFKA_BOOTSTRAP_SERVERS"], schema_registry, CHECKS, tag=tag, **env) as started:
        system = LockedSystem(secure_kafka, api_key, started, [secure_kafka.password, api_key])
        yield system
