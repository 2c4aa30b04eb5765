"""Builds a Faust app for one processor from the shared Kafka settings."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar, cast

import faust
from aiokafka.errors import KafkaError
from faust.types import TopicT, TransportT

from infra.settings import KafkaSettings
from infra.topics import ensure_named
from schemas.registry import RegistryError
from schemas.serde import AvroSerde
from schemas.serdes import Serdes
from schemas.topics import ALL, TopicSpec
from stream_processors.common.backlog import BacklogExporter
from stream_processors.common.codecs import avro_codec
from stream_processors.common.heads import HeadReader
from stream_processors.common.sensors import ProcessorMonitor
from stream_processors.common.settings import ProcessorSettings
from stream_processors.common.stores import FollowingTable
from stream_processors.common.transport import LedgerTransport
from stream_processors.common.web import install_pages

log = logging.getLogger(__name__)
#: a table's value type: what the caller's annotation says it stores (a record of ``schemas.records``,
#: or a TypedDict next to the rules that own the table)
V = TypeVar("V")


def _credentials(kafka: KafkaSettings) -> Any:
    """Faust's credentials object for SASL and/or TLS, or None for PLAINTEXT."""
    ssl_context = kafka.ssl_context()
    if kafka.security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
            mechanism=kafka.sasl_mechanism or "SCRAM-SHA-512",
            ssl_context=ssl_context,
        )
    if ssl_context is not None:
        return faust.SSLCredentials(ssl_context)
    return None


class App(faust.App):
    """A Faust app that never commits past an event it did not process (``transport``, ``ledger``)."""

    #: options of every table's store (``ProcessorSettings.store_options``); replaced, never mutated
    store_options: Mapping[str, int] = MappingProxyType({})
    #: the service's name (``orders``, ...): the ``service`` label of its metrics
    service_name: str = ""
    #: reads the first record at or after an offset (the lag exporter's ages, the ledger's gaps)
    heads: HeadReader | None = None
    #: the compacted topics (SPEC §2) by their names here: only there may offsets be absent (``ledger``)
    compacted_topics: frozenset[str] = frozenset()

    def _new_transport(self) -> TransportT:
        return LedgerTransport(self.conf.broker_consumer, self)


def make_app(service: str, settings: ProcessorSettings) -> faust.App:
    """A Faust app whose group id is ``<prefix>shopstream-<service>`` (its own consumer group).

    Besides Faust's own, it exports lag and oldest-record age per input partition (``backlog``),
    commit latency and rebalances (``sensors``).
    """
    kafka = settings.kafka
    # one directory per worker: RocksDB locks it, and several workers may share a machine
    datadir = Path(settings.data_dir) / f"{kafka.topic_prefix}{service}-{settings.web_port}"
    datadir.parent.mkdir(parents=True, exist_ok=True)
    app = App(
        f"{kafka.topic_prefix}shopstream-{service}",
        broker=[f"kafka://{server}" for server in kafka.servers],
        broker_credentials=_credentials(kafka),
        store=settings.store,
        Table=FollowingTable,  # a RocksDB store ahead of its changelog is rebuilt, not a crash
        datadir=str(datadir),
        topic_partitions=kafka.partitions,
        topic_replication_factor=kafka.replication_factor,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger=settings.linger_ms / 1000,
        broker_commit_interval=settings.commit_interval_s,
        web_enabled=True,
        web_port=settings.web_port,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        stream_buffer_maxsize=max(4096, settings.batch_size * 2),
        table_key_index_size=settings.key_index_size,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.heartbeat_s,
        Monitor=ProcessorMonitor,
    )
    app.store_options = settings.store_options()
    app.service_name = service
    app.compacted_topics = frozenset(spec.full_name(kafka.topic_prefix) for spec in ALL if spec.compacted)
    app.heads = HeadReader(kafka, timeout_s=min(settings.lag_interval_s, 2.0))
    app.add_dependency(BacklogExporter(app, service, app.heads, settings.lag_interval_s))
    return app


def raw_topic(app: faust.App, spec: TopicSpec, prefix: str) -> TopicT:
    """``spec`` as a Faust topic of raw bytes, keys too: the batch runtime decodes both, and dead-letters
    what does not decode (a key Faust decoded itself would crash the agent on every try instead).
    """
    return app.topic(spec.full_name(prefix), value_type=bytes, key_serializer="raw", value_serializer="raw")


def _table(
    app: faust.App, name: str, kafka: KafkaSettings, value_serializer: str, changelog: TopicT
) -> faust.Table[str, V]:
    """A table of str keys whose store and changelog agree on the serializers.

    Faust derives serializers from types only (a str key would be written as JSON, and recovery
    would read the changelog with a different codec than writes used), so both are set here.
    """
    table = cast(
        "faust.Table[str, V]",
        app.Table(
            name,
            partitions=kafka.partitions,
            changelog_topic=changelog,
            options=dict(getattr(app, "store_options", {})),  # a copy: the store pops from it
        ),
    )
    table.key_type = str
    table.key_serializer = "raw"
    table.value_serializer = value_serializer
    return table


def record_table(
    app: faust.App, name: str, serde: AvroSerde, kafka: KafkaSettings, changelog: TopicSpec
) -> faust.Table[str, V]:
    """A table of ``serde``'s records whose changelog is a registry topic: one write updates and publishes."""
    codec = avro_codec(serde)
    topic = app.topic(
        changelog.full_name(kafka.topic_prefix),
        key_type=str,
        key_serializer="raw",
        value_serializer=codec,
        partitions=kafka.partitions,
        compacting=changelog.compacted,
    )
    return _table(app, name, kafka, codec, topic)


def json_table(app: faust.App, name: str, kafka: KafkaSettings) -> faust.Table[str, V]:
    """An internal table of str keys and JSON values, on its own compacted changelog topic."""
    changelog = f"{app.conf.id}-{name}-changelog"
    precreate(kafka, changelog, {"cleanup.policy": "compact"})
    topic = app.topic(
        changelog,
        key_type=str,
        key_serializer="raw",
        value_serializer="json",
        partitions=kafka.partitions,
        compacting=True,
        internal=True,
    )
    return _table(app, name, kafka, "json", topic)


def prepared_serdes(app: faust.App, settings: ProcessorSettings, writes: Iterable[TopicSpec]) -> Serdes:
    """The service's serdes, the schemas it writes registered (waiting for the registry), and its pages.

    The app closes them as it stops (its exit stack is the last thing a mode service unwinds, after
    its agents and other children).
    """
    serdes = Serdes(settings.kafka, settings.registry)
    deadline = time.monotonic() + settings.registry_wait_s
    while True:
        try:
            serdes.prepare(writes)
            install_pages(app, serdes)
            app.add_context(serdes)
            return serdes
        except RegistryError:
            if time.monotonic() > deadline:
                serdes.close()
                raise
            log.warning("schema registry not answering yet", extra={"url": settings.registry.registry_url})
            time.sleep(1)


def precreate(kafka: KafkaSettings, name: str, config: dict[str, str]) -> None:
    """Create a private topic now, before the worker subscribes.

    Faust declares internal topics while it joins the group; when that loses the race with the
    first assignment, the assignor skips the missing topic and its agent idles until the next
    rebalance. Creating them while the app is built closes that window.
    """
    deadline = time.monotonic() + 60
    while True:
        try:
            asyncio.run(ensure_named(kafka, [(name, config)]))
            return
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            log.warning("Kafka not answering yet; retrying", extra={"topic": name})
            time.sleep(1)


def internal_topic(
    app: faust.App, kafka: KafkaSettings, suffix: str, retention: timedelta = timedelta(days=7)
) -> TopicT:
    """A raw-bytes topic private to this app (``<app id>-<suffix>``), created before the worker starts."""
    name = f"{app.conf.id}-{suffix}"
    retention_ms = str(int(retention.total_seconds() * 1000))
    precreate(kafka, name, {"cleanup.policy": "delete", "retention.ms": retention_ms})
    return app.topic(
        name,
        value_type=bytes,  # keys raw too: see raw_topic
        key_serializer="raw",
        value_serializer="raw",
        partitions=kafka.partitions,
        internal=True,
        retention=retention,
    )


def sources(app: faust.App, names: Iterable[str], partitions: int) -> TopicT:
    """One raw-bytes channel over several co-partitioned topics, for a single agent.

    Marked internal so Faust creates the app's own topics among them (existing ones are kept).
    """
    return app.topic(
        *names,
        value_type=bytes,  # keys raw too: see raw_topic
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
        internal=True,
    )
