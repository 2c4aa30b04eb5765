"""The launcher's JMX opt-in: flags on the node's JVM only, off unless asked, never on the shared defaults."""

from __future__ import annotations

import pytest

from infra.local_kafka.exceptions import LocalKafkaError
from infra.local_kafka.layout import single_spec
from infra.local_kafka.node import jvm_command


def test_jmx_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPSTREAM_LOCAL_KAFKA_JMX_PORT", raising=False)
    spec = single_spec()
    assert spec.jmx_port is None and spec.jmx_url is None
    assert not any("jmxremote" in arg for arg in jvm_command(spec, "kafka.Kafka"))


def test_env_var_exposes_jmx_on_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPSTREAM_LOCAL_KAFKA_JMX_PORT", "30999")
    spec = single_spec()
    argv = jvm_command(spec, "kafka.Kafka", str(spec.properties_file))
    for flag in (
        "-Dcom.sun.management.jmxremote.port=30999",
        "-Dcom.sun.management.jmxremote.rmi.port=30999",
        "-Dcom.sun.management.jmxremote.host=127.0.0.1",
        "-Djava.rmi.server.hostname=127.0.0.1",
        "-Dcom.sun.management.jmxremote.authenticate=false",
        "-Dcom.sun.management.jmxremote.ssl=false",
    ):
        assert flag in argv
    assert argv.index("-Dcom.sun.management.jmxremote.port=30999") < argv.index("kafka.Kafka")
    assert spec.jmx_url == "service:jmx:rmi:///jndi/rmi://127.0.0.1:30999/jmxrmi"


def test_tools_never_take_the_jmx_port(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = single_spec(jmx_port=30999)
    argv = jvm_command(spec, "kafka.tools.StorageTool", "format", tool=True)
    assert not any("jmxremote" in arg for arg in argv)


def test_another_port_and_jmx_get_a_node_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPSTREAM_LOCAL_KAFKA_PORT", raising=False)
    spec = single_spec(port=30192, jmx_port=30199)
    assert (spec.broker_port, spec.controller_port, spec.jmx_port) == (30192, 30193, 30199)
    assert spec.directory.name == "single-30192"
    assert single_spec().broker_port == 9092


def test_a_bad_jmx_port_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPSTREAM_LOCAL_KAFKA_JMX_PORT", "jmx")
    with pytest.raises(LocalKafkaError, match="not a port number"):
        single_spec()
