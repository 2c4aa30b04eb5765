"""Paths, ports, storage choice and JVM settings of the local Apicurio Registry."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from infra.jvm.instance import JvmInstance
from infra.jvm.layout import HOST, env_port, local_dir
from infra.local_kafka.layout import single_spec
from infra.local_registry.exceptions import LocalRegistryError

PACKAGE_DIR = Path(__file__).resolve().parent
POM_FILE = PACKAGE_DIR / "pom.xml"
LAUNCHER_JAR = "quarkus-run.jar"
MIN_JAVA = 21  # the registry's classes target Java 21; the system default may be older
ENV_JAVA_HOME = "SHOPSTREAM_LOCAL_REGISTRY_JAVA_HOME"
SNAPSHOT_PROPERTY = "apicurio.storage.snapshot.location"
DEFAULT_PORT = 8081
MANAGEMENT_PORT_OFFSET = 1000
DEFAULT_SESSION_PORT = 18181  # a test session's own registry (infra.session_infra); management on + 1
STORAGE_MEM = "mem"
STORAGE_KAFKASQL = "kafkasql"
STORAGES = (STORAGE_MEM, STORAGE_KAFKASQL)

ENV_PORT = "SHOPSTREAM_LOCAL_REGISTRY_PORT"
ENV_MANAGEMENT_PORT = "SHOPSTREAM_LOCAL_REGISTRY_MANAGEMENT_PORT"
ENV_STORAGE = "SHOPSTREAM_LOCAL_REGISTRY_STORAGE"
ENV_KAFKA_BOOTSTRAP = "SHOPSTREAM_LOCAL_REGISTRY_KAFKA_BOOTSTRAP"

# C1-only JIT and the serial collector: about twice as fast to start on two cores, a smaller
# footprint, and plenty of throughput for a development registry.
JVM_OPTIONS = ("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")

_KAFKASQL_TOPICS = {
    "apicurio.kafkasql.topic": "_shopstream-registry-journal",
    "apicurio.kafkasql.snapshots.topic": "_shopstream-registry-snapshots",
    "apicurio.events.kafka.topic": "_shopstream-registry-events",
}


def registry_dir() -> Path:
    """Return ``<local>/registry``, holding the distribution, pid file and log."""
    return local_dir() / "registry"


def app_dir() -> Path:
    """Return the unpacked Quarkus fast-jar distribution directory."""
    return registry_dir() / "quarkus-app"


def run_jar() -> Path:
    """Return the Quarkus launcher jar."""
    return app_dir() / LAUNCHER_JAR


@dataclass(frozen=True)
class RegistrySpec:
    """Everything needed to launch and find the local registry JVM."""

    port: int
    management_port: int
    storage: str
    kafka_bootstrap: str | None
    directory: Path

    @property
    def url(self) -> str:
        """Return the base URL (the ccompat API lives under ``/apis/ccompat/v7``)."""
        return f"http://{HOST}:{self.port}"

    @property
    def snapshots_dir(self) -> Path:
        """Return the snapshot directory, which also tells this instance's JVM from another's."""
        return self.directory / "snapshots"

    @property
    def pid_file(self) -> Path:
        """Return the pid file path."""
        return self.directory / "registry.pid"

    @property
    def log_file(self) -> Path:
        """Return the file receiving the JVM's stdout and stderr (Quarkus logs to the console)."""
        return self.directory / "registry.log"

    @property
    def jvm(self) -> JvmInstance:
        """Return how the launcher finds this instance's JVM: the shared jar, run with its snapshot dir.

        Instances share the jar; each has a directory of its own, named on its command line by its
        snapshot location, so the dev registry is never taken for a test session's, nor the reverse.
        """
        marks = (str(run_jar()), f"-D{SNAPSHOT_PROPERTY}={self.snapshots_dir}")
        return JvmInstance(
            "registry", self.pid_file, marks, self.directory, self.log_file, LocalRegistryError
        )

    def system_properties(self) -> dict[str, str]:
        """Return the runtime configuration passed as ``-D`` options (they override the app's own)."""
        props = {
            "quarkus.http.host": HOST,
            "quarkus.http.port": str(self.port),
            "quarkus.management.host": HOST,
            "quarkus.management.port": str(self.management_port),
            SNAPSHOT_PROPERTY: str(self.snapshots_dir),
            "apicurio.import.work-dir": str(self.directory / "import"),
        }
        if self.storage == STORAGE_KAFKASQL:
            props["apicurio.storage.kind"] = "kafkasql"
            props["apicurio.kafkasql.bootstrap.servers"] = self.kafka_bootstrap or ""
            props.update(_KAFKASQL_TOPICS)
            # The snapshots-topic scan ends on an empty poll; 5 s (the default) per poll adds ~10 s.
            props["apicurio.kafkasql.consumer.poll.timeout"] = "1000"
        else:
            # SQL storage on a private in-memory H2 database: schemas are lost on restart.
            props["apicurio.storage.kind"] = "sql"
            props["apicurio.storage.sql.kind"] = "h2"
            props["apicurio.datasource.jdbc.initial-size"] = "2"
            props["apicurio.datasource.jdbc.min-size"] = "2"
            props["apicurio.datasource.jdbc.max-size"] = "20"
        return props


def _env_storage() -> str:
    """Read the storage kind (``mem`` or ``kafkasql``) from the environment."""
    raw = os.environ.get(ENV_STORAGE, "").strip().lower() or STORAGE_KAFKASQL
    if raw not in STORAGES:
        raise LocalRegistryError(f"{ENV_STORAGE}={raw!r} is not one of {', '.join(STORAGES)}")
    return raw


def registry_spec() -> RegistrySpec:
    """Return the spec of the local registry from the environment and defaults."""
    port = env_port(ENV_PORT, DEFAULT_PORT, LocalRegistryError)
    management_default = port + MANAGEMENT_PORT_OFFSET if port + MANAGEMENT_PORT_OFFSET <= 65535 else port - 1
    management_port = env_port(ENV_MANAGEMENT_PORT, management_default, LocalRegistryError)
    if management_port == port:
        raise LocalRegistryError(f"{ENV_MANAGEMENT_PORT} must differ from the HTTP port {port}")
    storage = _env_storage()
    bootstrap = None
    if storage == STORAGE_KAFKASQL:
        bootstrap = os.environ.get(ENV_KAFKA_BOOTSTRAP, "").strip() or single_spec().bootstrap
    return RegistrySpec(port, management_port, storage, bootstrap, registry_dir())


def session_spec(port: int = DEFAULT_SESSION_PORT, kafka_bootstrap: str | None = None) -> RegistrySpec:
    """Return the spec of a test session's own registry on ``port`` (management on ``port`` + 1).

    KafkaSQL storage on ``kafka_bootstrap`` (the session's own broker), else in memory; its
    directory is registry/session (registry/session-<port> for another port), never the dev
    registry's. The environment is not read: ``SHOPSTREAM_LOCAL_REGISTRY_*`` stay the dev registry's.
    """
    name = "session" if port == DEFAULT_SESSION_PORT else f"session-{port}"
    storage = STORAGE_KAFKASQL if kafka_bootstrap else STORAGE_MEM
    return RegistrySpec(port, port + 1, storage, kafka_bootstrap, registry_dir() / name)
