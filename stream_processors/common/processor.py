"""What every processor's ``create_app`` is written with: ``bootstrap`` makes the app, and the
:class:`Processor` it returns declares the topics, tables, reference views and agents, one way for all six.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import faust
from faust.types import TopicT

from infra.settings import KafkaSettings
from schemas.serde import AvroSerde
from schemas.serdes import Serdes
from schemas.topics import TopicSpec
from stream_processors.common import app as factories
from stream_processors.common.batch import CatchUp, Handler
from stream_processors.common.dead_letters import DeadLetters
from stream_processors.common.reference import ReferenceView
from stream_processors.common.runtime import BatchRunner, batch_agent
from stream_processors.common.settings import ProcessorSettings

V = TypeVar("V")
R = TypeVar("R")


@dataclass(frozen=True)
class Processor:
    """A processor's app, its serdes (the schemas it writes registered), its dead letters and settings."""

    service: str
    app: faust.App
    serdes: Serdes
    dead: DeadLetters
    settings: ProcessorSettings

    @property
    def kafka(self) -> KafkaSettings:
        """How to reach Kafka, and the deployment's topic prefix and partition count."""
        return self.settings.kafka

    def name(self, spec: TopicSpec) -> str:
        """The name of ``spec``'s topic in this deployment."""
        return spec.full_name(self.kafka.topic_prefix)

    def topic(self, spec: TopicSpec) -> TopicT:
        """``spec``'s topic, read and written as raw bytes (``raw_topic``)."""
        return factories.raw_topic(self.app, spec, self.kafka.topic_prefix)

    def internal_topic(self, suffix: str, retention: timedelta = timedelta(days=7)) -> TopicT:
        """A raw-bytes topic private to the app, created now (``internal_topic``)."""
        return factories.internal_topic(self.app, self.kafka, suffix, retention)

    def json_table(self, name: str) -> faust.Table[str, V]:
        """An internal table of JSON values (``json_table``); its annotation at the caller says of what."""
        return factories.json_table(self.app, name, self.kafka)

    def record_table(self, name: str, changelog: TopicSpec) -> faust.Table[str, V]:
        """A table of ``changelog``'s records, that topic its changelog: one write updates and publishes."""
        return factories.record_table(self.app, name, self.serdes(changelog), self.kafka, changelog)

    def reference(self, spec: TopicSpec, *, dead_letters: bool) -> ReferenceView[R]:
        """Every record of ``spec`` on this worker (:class:`ReferenceView`), read while the app runs.

        ``dead_letters``: whether its unreadable records are dead-lettered here, for a topic the
        service reads nowhere else.
        """
        view: ReferenceView[R] = ReferenceView(
            self.kafka, self.serdes(spec), self.service, self.dead if dead_letters else None
        )
        self.app.add_dependency(view)
        return view

    def agent(
        self,
        name: str,
        channel: TopicT,
        handler: Handler,
        serde: AvroSerde | None = None,
        *,
        catch_up: CatchUp | None = None,
    ) -> None:
        """An agent applying ``handler`` to ``channel``'s records in batches.

        ``serde`` decodes them (None: they are read raw); ``catch_up``: as ``BatchRunner``'s.
        """
        runner = BatchRunner(
            self.app, self.dead, {channel.get_topic_name(): serde}, handler, self.settings, catch_up=catch_up
        )
        batch_agent(self.app, name, channel, runner)

    def merged_agent(
        self,
        name: str,
        decoders: Mapping[str, AvroSerde | None],
        handler: Handler,
        *,
        catch_up: CatchUp | None = None,
        unkeyed: frozenset[str] = frozenset(),
    ) -> None:
        """One agent over several co-partitioned topics (name → serde, None: raw), so that the records
        of a key are handled by one task, in order (``sources``); ``unkeyed``: as ``BatchRunner``'s.
        """
        runner = BatchRunner(
            self.app, self.dead, decoders, handler, self.settings, catch_up=catch_up, unkeyed=unkeyed
        )
        batch_agent(self.app, name, factories.sources(self.app, decoders, self.kafka.partitions), runner)


def bootstrap(service: str, settings: ProcessorSettings, writes: Iterable[TopicSpec]) -> Processor:
    """The app of ``service``, its serdes (``writes`` registered, waiting for the registry), dead letters.

    What a processor's ``create_app`` then declares may create its internal topics; its consumers and
    producers connect when the worker starts.
    """
    app = factories.make_app(service, settings)
    serdes = factories.prepared_serdes(app, settings, writes)
    dead = DeadLetters(app, service, settings.kafka.topic_prefix)
    return Processor(service, app, serdes, dead, settings)
