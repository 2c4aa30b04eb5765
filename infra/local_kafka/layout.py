"""Paths, ports and broker settings of the local single node and the 3-node cluster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from infra.jvm.instance import JvmInstance
from infra.jvm.layout import HOST, env_optional_port, env_port, local_dir
from infra.local_kafka.exceptions import LocalKafkaError

PACKAGE_DIR = Path(__file__).resolve().parent
POM_FILE = PACKAGE_DIR / "pom.xml"
LOG4J_CONFIG = PACKAGE_DIR / "log4j2.yaml"
MAIN_CLASS = "kafka.Kafka"
HIGHEST_PORT = 65000  # ports derived from a base (controllers +100..102, secure node +10..12) stay valid
CLUSTER_SIZE = 3
DEFAULT_SINGLE_PORT = 9092
DEFAULT_CLUSTER_PORT = 19092
DEFAULT_SESSION_PORT = 18092  # the test session's own node (infra.session_infra), apart from the dev node
SECURE_PORT_OFFSET = 10  # the secure node's default PLAINTEXT port is the single node's + 10
SASL_SSL_PORT_OFFSET = 2  # its SASL_SSL listener: PLAINTEXT port + 2 (controller is + 1)
SCRAM_MECHANISM = "SCRAM-SHA-512"
CONTROLLER_PORT_OFFSET = 100

_COMMON: dict[str, str] = {
    "process.roles": "broker,controller",
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "num.partitions": "6",
    "auto.create.topics.enable": "false",
    "group.initial.rebalance.delay.ms": "0",
}
_SINGLE: dict[str, str] = {
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
    "offsets.topic.replication.factor": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
}
_CLUSTER: dict[str, str] = {
    "default.replication.factor": "3",
    "min.insync.replicas": "2",
    "offsets.topic.replication.factor": "3",
    "transaction.state.log.replication.factor": "3",
    "transaction.state.log.min.isr": "2",
    "share.coordinator.state.topic.replication.factor": "3",
    "share.coordinator.state.topic.min.isr": "2",
}


@dataclass(frozen=True)
class NodeSpec:
    """Everything needed to configure, launch and find one combined broker+controller node."""

    name: str
    node_id: int
    broker_port: int
    controller_port: int
    directory: Path
    group_dir: Path
    voters: str
    heap: tuple[str, ...]
    settings: Mapping[str, str]
    sasl_ssl_port: int | None = None
    jmx_port: int | None = None  # opt-in: remote JMX on loopback (no auth, no TLS), None = off

    @property
    def jmx_url(self) -> str | None:
        """Return the JMX service URL of the node (for JmxTool, jconsole), if it exposes JMX."""
        if self.jmx_port is None:
            return None
        return f"service:jmx:rmi:///jndi/rmi://{HOST}:{self.jmx_port}/jmxrmi"

    def jmx_flags(self) -> list[str]:
        """Return the JVM flags exposing JMX on ``HOST:jmx_port`` only (registry and RMI on one port)."""
        if self.jmx_port is None:
            return []
        return [
            f"-Dcom.sun.management.jmxremote.port={self.jmx_port}",
            f"-Dcom.sun.management.jmxremote.rmi.port={self.jmx_port}",
            f"-Dcom.sun.management.jmxremote.host={HOST}",
            f"-Djava.rmi.server.hostname={HOST}",
            "-Dcom.sun.management.jmxremote.authenticate=false",
            "-Dcom.sun.management.jmxremote.ssl=false",
        ]

    @property
    def bootstrap(self) -> str:
        """Return the node's PLAINTEXT address."""
        return f"{HOST}:{self.broker_port}"

    @property
    def data_dir(self) -> Path:
        """Return the Kafka log (data) directory."""
        return self.directory / "data"

    @property
    def log_dir(self) -> Path:
        """Return the directory holding server.log and gc.log."""
        return self.directory / "logs"

    @property
    def properties_file(self) -> Path:
        """Return the generated server.properties path."""
        return self.directory / "server.properties"

    @property
    def pid_file(self) -> Path:
        """Return the pid file path."""
        return self.directory / "kafka.pid"

    @property
    def stdout_file(self) -> Path:
        """Return the file receiving the JVM's stdout and stderr."""
        return self.directory / "stdout.log"

    @property
    def server_log(self) -> Path:
        """Return the log4j server log path."""
        return self.log_dir / "server.log"

    @property
    def ports(self) -> list[int]:
        """Return every port the node listens on: broker, controller, then SASL_SSL and JMX if it has them."""
        optional = [port for port in (self.sasl_ssl_port, self.jmx_port) if port is not None]
        return [self.broker_port, self.controller_port, *optional]

    @property
    def jvm(self) -> JvmInstance:
        """Return how the launcher finds the node's JVM: kafka.Kafka run with its server.properties."""
        marks = (MAIN_CLASS, str(self.properties_file))
        return JvmInstance(self.name, self.pid_file, marks, self.directory, self.stdout_file, LocalKafkaError)

    @property
    def cluster_id_file(self) -> Path:
        """Return the file holding the cluster id shared by the group's nodes."""
        return self.group_dir / "cluster.id"

    @property
    def sasl_ssl_bootstrap(self) -> str | None:
        """Return the node's SASL_SSL address, if it has that listener."""
        return None if self.sasl_ssl_port is None else f"{HOST}:{self.sasl_ssl_port}"

    @property
    def tls_dir(self) -> Path:
        """Return the directory of the node's CA certificate and PEM keystore."""
        return self.directory / "tls"

    def server_properties(self) -> dict[str, str]:
        """Return the complete server.properties content as a mapping."""
        properties = {
            **_COMMON,
            **self.settings,
            "node.id": str(self.node_id),
            "listeners": f"PLAINTEXT://{HOST}:{self.broker_port},CONTROLLER://{HOST}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.bootstrap}",
            "controller.quorum.voters": self.voters,
            "log.dirs": str(self.data_dir),
        }
        if self.sasl_ssl_port is not None:
            properties.update(self._sasl_ssl_properties())
        return properties

    def _sasl_ssl_properties(self) -> dict[str, str]:
        """The extra SASL_SSL listener: SCRAM users from the metadata log, TLS from a PEM keystore."""
        prefix = "listener.name.sasl_ssl."
        return {
            "listeners": f"PLAINTEXT://{HOST}:{self.broker_port},CONTROLLER://{HOST}:{self.controller_port},"
            f"SASL_SSL://{self.sasl_ssl_bootstrap}",
            "advertised.listeners": f"PLAINTEXT://{self.bootstrap},SASL_SSL://{self.sasl_ssl_bootstrap}",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL",
            "sasl.enabled.mechanisms": SCRAM_MECHANISM,
            f"{prefix}sasl.enabled.mechanisms": SCRAM_MECHANISM,
            f"{prefix}{SCRAM_MECHANISM.lower()}.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
            f"{prefix}ssl.keystore.type": "PEM",
            f"{prefix}ssl.keystore.location": str(self.tls_dir / "broker-keystore.pem"),
        }


def kafka_dir() -> Path:
    """Return the directory holding the Kafka classpath and node directories."""
    return local_dir() / "kafka"


def lib_dir() -> Path:
    """Return the directory Maven copies the Kafka jars into."""
    return kafka_dir() / "lib"


def _env_port(name: str, default: int) -> int:
    """Read a base port from the environment (1024..65000); raise LocalKafkaError on a bad value."""
    return env_port(name, default, LocalKafkaError, HIGHEST_PORT)


def _dir_name(stem: str, port: int, default: int) -> str:
    """Return stem for the default port, else stem-<port>, so an overridden port gets its own data."""
    return stem if port == default else f"{stem}-{port}"


def single_spec(port: int | None = None, jmx_port: int | None = None) -> NodeSpec:
    """Return the spec of the single dev node (controller on broker port + 1, data in kafka/single).

    ``port`` defaults to ``SHOPSTREAM_LOCAL_KAFKA_PORT`` (else 9092); another port gets a data
    directory of its own (kafka/single-<port>). JMX is opt-in: ``jmx_port``, else
    ``SHOPSTREAM_LOCAL_KAFKA_JMX_PORT``; unset, the JVM exposes no JMX port.
    """
    if port is None:
        port = _env_port("SHOPSTREAM_LOCAL_KAFKA_PORT", DEFAULT_SINGLE_PORT)
    if jmx_port is None:
        jmx_port = env_optional_port("SHOPSTREAM_LOCAL_KAFKA_JMX_PORT", LocalKafkaError, HIGHEST_PORT)
    heap = ("-Xms512m", "-Xmx1g")
    return _lone_node("single", port, DEFAULT_SINGLE_PORT, heap, jmx_port=jmx_port)


def _lone_node(
    name: str,
    port: int,
    default_port: int,
    heap: tuple[str, ...],
    sasl_ssl_port: int | None = None,
    jmx_port: int | None = None,
) -> NodeSpec:
    """A node that is its own one-voter quorum: controller on ``port`` + 1, data in kafka/<name>."""
    directory = kafka_dir() / _dir_name(name, port, default_port)
    return NodeSpec(
        name=name,
        node_id=1,
        broker_port=port,
        controller_port=port + 1,
        directory=directory,
        group_dir=directory,
        voters=f"1@{HOST}:{port + 1}",
        heap=heap,
        settings=_SINGLE,
        sasl_ssl_port=sasl_ssl_port,
        jmx_port=jmx_port,
    )


def session_spec(port: int = DEFAULT_SESSION_PORT) -> NodeSpec:
    """Return the spec of a test session's own node on ``port`` (controller + 1, no JMX).

    Data in kafka/session (kafka/session-<port> for another port), never the dev node's; the
    environment is not read, so ``SHOPSTREAM_LOCAL_KAFKA_*`` settings meant for the dev node stay there.
    """
    heap = ("-Xms512m", "-Xmx1g")
    return _lone_node("session", port, DEFAULT_SESSION_PORT, heap)


def secure_spec() -> NodeSpec:
    """Return the spec of the node with a SASL_SSL (SCRAM) listener, apart from the plain single node.

    Ports: PLAINTEXT ``SHOPSTREAM_LOCAL_KAFKA_SECURE_PORT`` (default: single node's port + 10), for
    the launcher's probe and the broker itself; controller + 1; SASL_SSL + 2, for clients.
    """
    default = _env_port("SHOPSTREAM_LOCAL_KAFKA_PORT", DEFAULT_SINGLE_PORT) + SECURE_PORT_OFFSET
    port = _env_port("SHOPSTREAM_LOCAL_KAFKA_SECURE_PORT", default)
    default_port = DEFAULT_SINGLE_PORT + SECURE_PORT_OFFSET
    heap = ("-Xms256m", "-Xmx512m")
    return _lone_node("secure", port, default_port, heap, sasl_ssl_port=port + SASL_SSL_PORT_OFFSET)


def cluster_specs() -> list[NodeSpec]:
    """Return the specs of the three cluster nodes, ordered by node id."""
    base = _env_port("SHOPSTREAM_LOCAL_KAFKA_CLUSTER_PORT", DEFAULT_CLUSTER_PORT)
    group_dir = kafka_dir() / _dir_name("cluster", base, DEFAULT_CLUSTER_PORT)
    ids = range(1, CLUSTER_SIZE + 1)
    controller = {i: base + CONTROLLER_PORT_OFFSET + i - 1 for i in ids}
    voters = ",".join(f"{i}@{HOST}:{controller[i]}" for i in ids)
    return [
        NodeSpec(
            name=f"node-{i}",
            node_id=i,
            broker_port=base + i - 1,
            controller_port=controller[i],
            directory=group_dir / f"node-{i}",
            group_dir=group_dir,
            voters=voters,
            heap=("-Xms256m", "-Xmx512m"),
            settings=_CLUSTER,
        )
        for i in ids
    ]


def bootstrap_of(specs: list[NodeSpec]) -> str:
    """Return the comma-separated bootstrap string of the given nodes."""
    return ",".join(spec.bootstrap for spec in specs)
