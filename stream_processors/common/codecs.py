"""Faust codecs that store table values as the project's Avro records."""

from __future__ import annotations

from typing import Any

from faust.serializers import codecs

from schemas.serde import AvroSerde


class AvroCodec(codecs.Codec):
    """Reads and writes one Avro record type in the project's wire format."""

    def __init__(self, record: str) -> None:
        super().__init__(record=record)
        self.serde = AvroSerde.for_record(record)

    def _dumps(self, obj: Any) -> bytes:
        return self.serde.encode(obj)

    def _loads(self, s: bytes) -> Any:
        return self.serde.decode(s)


def avro_codec(record: str) -> str:
    """Register (once) and name the codec of ``record`` for a table's ``value_serializer``."""
    name = f"avro-{record}"
    if name not in codecs.codecs:
        codecs.register(name, AvroCodec(record))
    return name
