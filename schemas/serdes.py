"""One serde per topic for a service, made from its settings and prepared at start-up."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Protocol, Self

from schemas import store
from schemas.registry import RegistryError, SchemaRegistry
from schemas.serde import AvroSerde, ConfluentFraming, Framing, SingleObjectFraming
from schemas.settings import RegistrySettings
from schemas.topics import TopicSpec

log = logging.getLogger(__name__)


class Naming(Protocol):
    """What names a deployment's topics: its prefix (the base layer's ``KafkaSettings`` has one)."""

    @property
    def topic_prefix(self) -> str:
        """Put before every topic name on the cluster."""
        ...


class Serdes:
    """Serdes of a service's topics, sharing one framing (and registry client)."""

    def __init__(self, kafka: Naming, registry: RegistrySettings) -> None:
        self._prefix = kafka.topic_prefix
        self._registry: SchemaRegistry | None = None
        framing: Framing
        if registry.format == "confluent":
            self._registry = SchemaRegistry(registry.registry_url, registry.auth())
            framing = ConfluentFraming(self._registry, registry.auto_register)
        else:
            framing = SingleObjectFraming()
        self._framing = framing
        self._serdes: dict[str, AvroSerde] = {}

    def __call__(self, spec: TopicSpec) -> AvroSerde:
        """The serde of ``spec``'s value record."""
        serde = self._serdes.get(spec.name)
        if serde is None:
            if spec.value is None:
                raise ValueError(f"topic {spec.name} carries raw bytes, not a record")
            topic = spec.full_name(self._prefix)
            serde = self._serdes[spec.name] = AvroSerde(topic, store.load(spec.value), self._framing)
        return serde

    def prepare(self, specs: Iterable[TopicSpec]) -> None:
        """Register (or look up) every schema this service writes, so no record waits on HTTP."""
        for spec in specs:
            self(spec).prepare()

    async def reachable(self) -> bool:
        """Whether the registry answers now (always true without one)."""
        if self._registry is None:
            return True
        try:
            await asyncio.to_thread(self._registry.subjects)
        except RegistryError:
            return False
        return True

    def close(self) -> None:
        """Release the registry client."""
        if self._registry is not None:
            self._registry.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


async def decode_waiting_for_registry(serde: AvroSerde, value: bytes | None) -> dict[str, Any]:
    """Decode ``value``; while the registry cannot be reached the record waits: it is not poison."""
    while True:
        try:
            return serde.decode(value)
        except RegistryError as exc:
            log.warning("schema registry unreachable; retrying", extra={"error": repr(exc)})
            await asyncio.sleep(1)
