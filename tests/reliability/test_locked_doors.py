"""Locked doors (SPEC §5 Security): SCRAM over TLS to Kafka, API keys on ingest-api, no secret in any log.

One fresh secure node (SASL_SSL listener, SCRAM-SHA-512 user with a random password) serves the
whole module; the system tests run every service needed for validation against it, with
ingest-api requiring an API key. The last test stops the services and scans all their logs and
the broker's for the secrets used.
"""

from __future__ import annotations

import ssl
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.conn import create_conn
from aiokafka.errors import KafkaConnectionError, SaslAuthenticationFailed

from infra.settings import KafkaSettings
from producers.ingest_api.settings import IngestSettings
from tests.e2e.shop import Shop, uid
from tests.reliability.fixtures_locked import (  # noqa: F401 - the fixtures are used by name
    LockedSystem,
    SecureKafka,
    encodings,
    locked_system_fixture,
    secure_kafka_fixture,
)

AUTH_FAILED = (
    "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"
)


async def _connect(settings: KafkaSettings) -> None:
    """Open (and close) one connection to the first bootstrap server: TLS, then the SASL exchange."""
    host, port = settings.servers[0].rsplit(":", 1)
    options = {k: v for k, v in settings.client_options().items() if k != "bootstrap_servers"}
    conn = await create_conn(host, int(port), **options)
    conn.close()


async def test_right_credentials_produce_and_consume_over_sasl_ssl(secure_kafka: SecureKafka) -> None:
    settings = secure_kafka.settings()
    assert settings.security_protocol == "SASL_SSL"
    await _connect(settings)  # the handshake itself succeeds: TLS verified, SCRAM accepted
    topic = f"locked-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**settings.client_options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(**settings.producer_options())
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, f"v{i}".encode(), key=f"k{i}".encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, **settings.client_options(), auto_offset_reset="earliest")
    await consumer.start()
    try:
        seen: dict[bytes, bytes] = {}
        while len(seen) < 5:
            batch = await consumer.getmany(timeout_ms=10_000)
            assert batch, f"no records within 10 s; got {seen}"
            seen.update((r.key, r.value) for records in batch.values() for r in records)
    finally:
        await consumer.stop()
    assert seen == {f"k{i}".encode(): f"v{i}".encode() for i in range(5)}


async def test_wrong_password_is_refused(secure_kafka: SecureKafka) -> None:
    wrong = secure_kafka.settings(password=secure_kafka.password + "x")
    with pytest.raises(SaslAuthenticationFailed) as caught:
        await _connect(wrong)
    assert AUTH_FAILED in str(caught.value)
    # a whole client cannot bootstrap either
    producer = AIOKafkaProducer(**wrong.producer_options())
    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        await producer.start()
    await producer.stop()


async def test_unknown_user_is_refused(secure_kafka: SecureKafka) -> None:
    with pytest.raises(SaslAuthenticationFailed) as caught:
        await _connect(secure_kafka.settings(sasl_username="mallory"))
    assert AUTH_FAILED in str(caught.value)


async def test_a_client_that_does_not_trust_the_local_ca_is_refused(secure_kafka: SecureKafka) -> None:
    # the system's default trust store does not hold the node's fresh CA: no TLS, so no credentials sent
    settings = secure_kafka.settings()
    untrusted = KafkaSettings(**{**settings.model_dump(), "ssl_cafile": None})
    with pytest.raises((ssl.SSLCertVerificationError, KafkaConnectionError)) as caught:
        await _connect(untrusted)
    assert "CERTIFICATE_VERIFY_FAILED" in repr(caught.value) + repr(caught.value.__cause__)


def test_settings_never_show_the_password(secure_kafka: SecureKafka) -> None:
    settings = secure_kafka.settings()
    ingest = IngestSettings(kafka=settings)
    shown = [
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        repr(ingest),
        ingest.model_dump_json(),
    ]
    for text in shown:
        assert secure_kafka.password not in text
        assert "**********" in text
    assert settings.client_options()["sasl_plain_password"] == secure_kafka.password


async def test_order_over_sasl_ssl_reaches_validated(locked_system: LockedSystem, kafka: str) -> None:
    headers = {"Authorization": f"Bearer {locked_system.api_key}"}
    async with (
        httpx.AsyncClient(base_url=locked_system.ingest, headers=headers, timeout=30) as ingest,
        httpx.AsyncClient(base_url=locked_system.query, timeout=70) as query,
    ):
        shop = Shop(ingest, query)
        customer = await shop.customer()
        sku = await shop.stock(5)
        order_id = await shop.order(customer, (sku, 2, 1500))
        view = await shop.wait(order_id, "VALIDATED,FAILED", timeout_ms=60_000)
    assert (view["state"], view["reasons"], view["version"], view["total_cents"]) == (
        "VALIDATED",
        [],
        2,
        3000,
    )
    # the events went to the secure node only: the plain session broker has no topic of this run
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        plain_topics = await admin.list_topics()
    finally:
        await admin.close()
    assert [t for t in plain_topics if t.startswith(locked_system.topic_prefix)] == []


async def test_ingest_api_requires_a_key(locked_system: LockedSystem) -> None:
    body = {"name": "Bo", "email": "bo@example.com"}
    customer = uid("c")
    async with httpx.AsyncClient(base_url=locked_system.ingest, timeout=30) as client:
        r = await client.put(f"/v1/customers/{customer}", json=body)
        assert (r.status_code, r.headers.get("www-authenticate")) == (401, 'Bearer realm="ingest-api"')
        r = await client.put(f"/v1/customers/{customer}", json=body, headers={"X-API-Key": "not-the-key"})
        assert (r.status_code, r.json()) == (403, {"detail": "API key not accepted"})
        r = await client.put(
            f"/v1/customers/{customer}",
            json=body,
            headers={"Authorization": f"Bearer {locked_system.api_key}x"},
        )
        assert r.status_code == 403
        r = await client.put(
            f"/v1/customers/{customer}", json=body, headers={"X-API-Key": locked_system.api_key}
        )
        assert r.status_code == 202
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await client.get(path)).status_code == 200, path


def test_no_secret_in_any_log_of_the_run(locked_system: LockedSystem) -> None:
    locked_system.stop_services()
    logs = locked_system.all_logs()
    texts = {path: path.read_text(encoding="utf-8", errors="replace") for path in logs}
    # the logs are real and complete: services logged their work, the broker its SASL_SSL listener
    ingest_log = texts[locked_system.services["ingest-api"].log]
    assert "request with an unknown API key refused" in ingest_log
    server_log = texts[locked_system.kafka.broker.spec.server_log]
    assert f"SASL_SSL://{locked_system.kafka.broker.bootstrap}" in server_log
    leaks = [
        f"{path}: {label} ({form[:4]}…)"
        for label, secret in (
            ("SCRAM password", locked_system.kafka.password),
            ("API key", locked_system.api_key),
        )
        for form in encodings(secret)
        for path, text in texts.items()
        if form in text
    ]
    assert leaks == []
    print(f"\nscanned {len(texts)} logs, {sum(len(t) for t in texts.values())} characters: no secret")  # noqa: T201 - a figure for the test report
