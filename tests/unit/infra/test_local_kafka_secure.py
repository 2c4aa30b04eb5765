"""The secure local node's layout, certificates and SCRAM arguments, without starting Kafka.

tests/reliability/test_locked_doors.py starts the node itself and talks SASL_SSL to it.
"""

from __future__ import annotations

import asyncio
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509

from infra.local_kafka.exceptions import LocalKafkaError
from infra.local_kafka.layout import secure_spec
from infra.local_kafka.secure import SecureBroker, _scram_args
from infra.local_kafka.tls import write_tls


def test_secure_ports_follow_the_single_node_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPSTREAM_LOCAL_KAFKA_SECURE_PORT", raising=False)
    monkeypatch.setenv("SHOPSTREAM_LOCAL_KAFKA_PORT", "30092")
    spec = secure_spec()
    assert (spec.broker_port, spec.controller_port, spec.sasl_ssl_port) == (30102, 30103, 30104)
    assert spec.sasl_ssl_bootstrap == "127.0.0.1:30104"
    assert spec.directory.name == "secure-30102"
    monkeypatch.setenv("SHOPSTREAM_LOCAL_KAFKA_SECURE_PORT", "31000")
    assert secure_spec().sasl_ssl_bootstrap == "127.0.0.1:31002"


def test_defaults_leave_the_plain_nodes_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SHOPSTREAM_LOCAL_KAFKA_PORT", "SHOPSTREAM_LOCAL_KAFKA_SECURE_PORT"):
        monkeypatch.delenv(name, raising=False)
    spec = secure_spec()
    assert (spec.broker_port, spec.controller_port, spec.sasl_ssl_port) == (9102, 9103, 9104)
    assert spec.directory.name == "secure"


def test_server_properties_add_a_scram_sasl_ssl_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPSTREAM_LOCAL_KAFKA_SECURE_PORT", "30102")
    spec = secure_spec()
    props = spec.server_properties()
    assert props["listeners"] == (
        "PLAINTEXT://127.0.0.1:30102,CONTROLLER://127.0.0.1:30103,SASL_SSL://127.0.0.1:30104"
    )
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:30102,SASL_SSL://127.0.0.1:30104"
    assert props["listener.security.protocol.map"] == (
        "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL"
    )
    assert props["listener.name.sasl_ssl.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config"] == (
        "org.apache.kafka.common.security.scram.ScramLoginModule required;"
    )
    assert props["listener.name.sasl_ssl.ssl.keystore.type"] == "PEM"
    assert props["listener.name.sasl_ssl.ssl.keystore.location"] == str(spec.tls_dir / "broker-keystore.pem")
    assert not any("password" in key for key in props)


def test_scram_arguments_and_what_they_refuse() -> None:
    assert _scram_args({"svc": "pw-1"}) == ("--add-scram", "SCRAM-SHA-512=[name=svc,password=pw-1]")
    with pytest.raises(LocalKafkaError) as caught:
        _scram_args({"svc": "has,comma]"})
    assert "has,comma]" not in str(caught.value)
    assert "'svc'" in str(caught.value)


def test_client_env_names_every_kafka_setting(tmp_path: Path) -> None:
    broker = SecureBroker(secure_spec(), "127.0.0.1:9104", tmp_path / "ca.pem", 1.0)
    assert broker.client_env("svc", "pw") == {
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9104",
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "svc",
        "KAFKA_SASL_PASSWORD": "pw",
        "KAFKA_SSL_CAFILE": str(tmp_path / "ca.pem"),
    }


def test_certificates_chain_to_the_ca_and_name_the_loopback(tmp_path: Path) -> None:
    files = write_tls(tmp_path / "tls")
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    pem = files.keystore.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, as Kafka's PEM keystore wants
    broker = x509.load_pem_x509_certificates(pem)[0]
    broker.verify_directly_issued_by(ca)
    names = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert stat.S_IMODE(files.keystore.stat().st_mode) == 0o600


async def test_a_client_trusting_the_ca_verifies_the_broker_certificate(tmp_path: Path) -> None:
    files = write_tls(tmp_path / "tls")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(files.keystore)

    async def greet(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(greet, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        client_ctx = ssl.create_default_context(cafile=str(files.ca_cert))  # hostname checks stay on
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_ctx)
        assert await reader.read() == b"hello"
        writer.close()
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection("127.0.0.1", port, ssl=ssl.create_default_context())
    finally:
        server.close()
        await server.wait_closed()
