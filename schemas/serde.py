"""Avro serde in single-object encoding (marker C3 01, CRC-64-AVRO fingerprint, Avro binary).

Writer schemas are resolved from the local store by fingerprint, so decoding never leaves the
process; when the writer schema differs from the reader's, Avro schema resolution applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from io import BytesIO
from typing import Any

from fastavro import schemaless_reader, schemaless_writer

from schemas import store
from schemas.exceptions import DecodeError, EncodeError

MARKER = b"\xc3\x01"
HEADER_SIZE = len(MARKER) + 8


class AvroSerde:
    """Encodes records with one schema and decodes any known writer schema into it."""

    def __init__(self, reader: store.Schema, known: Iterable[store.Schema] = ()) -> None:
        self.schema = reader
        self._header = MARKER + reader.fingerprint
        self._writers = {s.fingerprint: s for s in (reader, *known)}

    @classmethod
    def for_record(cls, name: str) -> AvroSerde:
        """The serde of record ``name`` from the schema store."""
        return cls(store.load(name))

    def encode(self, record: Mapping[str, Any]) -> bytes:
        """Encode ``record`` with the header naming this serde's schema."""
        out = BytesIO()
        out.write(self._header)
        try:
            schemaless_writer(out, self.schema.parsed, record)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise EncodeError(f"{self.schema.name}: {exc}") from exc
        return out.getvalue()

    def decode(self, data: bytes | None) -> dict[str, Any]:
        """Decode bytes written by any known version of this record into the reader schema."""
        if not data or len(data) < HEADER_SIZE or data[:2] != MARKER:
            raise DecodeError(f"{self.schema.name}: not single-object Avro (missing C3 01 marker)")
        writer = self._writers.get(bytes(data[2:HEADER_SIZE]))
        if writer is None:
            raise DecodeError(f"{self.schema.name}: unknown schema fingerprint {data[2:10].hex()}")
        reader = None if writer is self.schema else self.schema.parsed
        buf = BytesIO(data)
        buf.seek(HEADER_SIZE)
        try:
            record = schemaless_reader(buf, writer.parsed, reader)
        except Exception as exc:  # noqa: BLE001 - fastavro raises many types on corrupt input
            raise DecodeError(f"{self.schema.name}: corrupt body: {exc!r}") from exc
        if buf.tell() != len(data):
            raise DecodeError(f"{self.schema.name}: {len(data) - buf.tell()} trailing bytes")
        if not isinstance(record, dict):
            raise DecodeError(f"{self.schema.name}: decoded a {type(record).__name__}, not a record")
        return record
