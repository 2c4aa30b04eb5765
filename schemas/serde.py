"""Avro serde: fastavro bodies behind a framing that names the writer schema.

Two framings, chosen by setting:

- **Confluent wire format**: magic byte 0, 4-byte big-endian schema id from the registry, body;
- **single-object encoding** (Avro spec): marker C3 01, 8-byte CRC-64-AVRO fingerprint, body,
  resolved from the local schema store, for deployments without a registry.

Parsed schemas and ids are cached, so encoding and decoding make no network call once warm.
When the writer schema differs from the reader's, Avro schema resolution applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from io import BytesIO
from typing import Any, Protocol

from fastavro import schemaless_reader, schemaless_writer

from schemas import store
from schemas.exceptions import DecodeError, EncodeError
from schemas.registry import RegistryError, subject_of

MARKER = b"\xc3\x01"
SINGLE_OBJECT_HEADER = len(MARKER) + 8
MAGIC = b"\x00"
CONFLUENT_HEADER = 5


class Framing(Protocol):
    """Writes the header naming a schema, and finds the writer schema of encoded bytes."""

    def header(self, topic: str, schema: store.Schema) -> bytes:
        """The header of records of ``schema`` written to ``topic``."""

    def writer(self, data: bytes) -> tuple[store.Schema, int]:
        """The writer schema of ``data`` and where its body starts; DecodeError if unknown."""


class RegistryClient(Protocol):
    """What the Confluent framing needs of a registry (see :class:`schemas.registry.SchemaRegistry`)."""

    def register(self, subject: str, schema: store.Schema) -> int:
        """The id of ``schema`` under ``subject``, registering it if needed."""

    def lookup(self, subject: str, schema: store.Schema) -> int:
        """The id of an already registered ``schema`` under ``subject``."""

    def schema_by_id(self, schema_id: int) -> store.Schema:
        """The schema with this id."""


class SingleObjectFraming:
    """Avro single-object encoding, writer schemas looked up among every version in the store."""

    def __init__(self, known: Iterable[store.Schema] | None = None) -> None:
        schemas = store.every_version() if known is None else list(known)
        self._by_fingerprint = {s.fingerprint: s for s in schemas}

    def header(self, topic: str, schema: store.Schema) -> bytes:
        """C3 01 and the schema's fingerprint."""
        self._by_fingerprint.setdefault(schema.fingerprint, schema)
        return MARKER + schema.fingerprint

    def writer(self, data: bytes) -> tuple[store.Schema, int]:
        """The schema whose fingerprint follows the marker."""
        if len(data) < SINGLE_OBJECT_HEADER or data[:2] != MARKER:
            raise DecodeError("not single-object Avro (missing C3 01 marker)")
        schema = self._by_fingerprint.get(bytes(data[2:SINGLE_OBJECT_HEADER]))
        if schema is None:
            raise DecodeError(f"unknown schema fingerprint {bytes(data[2:10]).hex()}")
        return schema, SINGLE_OBJECT_HEADER


class ConfluentFraming:
    """Confluent wire format; ids come from the registry (registered only if ``auto_register``)."""

    def __init__(self, registry: RegistryClient, auto_register: bool) -> None:
        self._registry = registry
        self._auto_register = auto_register
        self._writers: dict[int, store.Schema] = {}

    def header(self, topic: str, schema: store.Schema) -> bytes:
        """Magic byte 0 and the schema's id under ``<topic>-value``."""
        subject = subject_of(topic)
        if self._auto_register:
            schema_id = self._registry.register(subject, schema)
        else:
            schema_id = self._registry.lookup(subject, schema)
        self._writers[schema_id] = schema
        return MAGIC + schema_id.to_bytes(4, "big")

    def writer(self, data: bytes) -> tuple[store.Schema, int]:
        """The schema of the id after the magic byte, fetched from the registry once."""
        if len(data) < CONFLUENT_HEADER or data[:1] != MAGIC:
            raise DecodeError("not Confluent wire format (magic byte is not 0)")
        schema_id = int.from_bytes(data[1:CONFLUENT_HEADER], "big")
        schema = self._writers.get(schema_id)
        if schema is None:
            try:
                schema = self._registry.schema_by_id(schema_id)
            except RegistryError as exc:
                if "HTTP 404" in str(exc):
                    raise DecodeError(f"unknown schema id {schema_id}") from exc
                raise
            self._writers[schema_id] = schema
        return schema, CONFLUENT_HEADER


class AvroSerde:
    """Encodes one topic's records with the current schema; decodes any known writer into it."""

    def __init__(self, topic: str, reader: store.Schema, framing: Framing) -> None:
        self.topic = topic
        self.schema = reader
        self._framing = framing
        self._header: bytes | None = None

    def prepare(self) -> None:
        """Resolve this serde's own header now (a registry call at start-up, not per record)."""
        self._header = self._framing.header(self.topic, self.schema)

    def encode(self, record: Mapping[str, Any]) -> bytes:
        """Encode ``record`` behind the header naming this serde's schema."""
        if self._header is None:
            self.prepare()
        out = BytesIO()
        out.write(self._header or b"")
        try:
            schemaless_writer(out, self.schema.parsed, record)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise EncodeError(f"{self.topic}/{self.schema.name}: {exc}") from exc
        return out.getvalue()

    def decode(self, data: bytes | None) -> dict[str, Any]:
        """Decode bytes written with any schema the framing knows, into the reader schema.

        Timestamps come back as epoch milliseconds (see :mod:`schemas.clock`).
        """
        if not data:
            raise DecodeError(f"{self.topic}: empty record")
        writer, start = self._framing.writer(data)
        if writer.name != self.schema.name:
            raise DecodeError(f"{self.topic}: a {writer.name}, not a {self.schema.name}")
        buf = BytesIO(data)
        buf.seek(start)
        try:
            reader = None if writer.fingerprint == self.schema.fingerprint else self.schema.parsed_plain
            record = schemaless_reader(buf, writer.parsed_plain, reader)
        except Exception as exc:  # fastavro raises many types on corrupt input
            raise DecodeError(f"{self.topic}: corrupt body: {exc!r}") from exc
        if buf.tell() != len(data):
            raise DecodeError(f"{self.topic}: {len(data) - buf.tell()} trailing bytes")
        if not isinstance(record, dict):
            raise DecodeError(f"{self.topic}: decoded a {type(record).__name__}, not a record")
        return record
