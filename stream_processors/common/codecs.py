"""Faust codecs that store table values as a topic's Avro records."""

from __future__ import annotations

from typing import Any

from faust.serializers import codecs

from schemas.serde import AvroSerde


class AvroCodec(codecs.Codec):
    """Reads and writes one topic's records in the project's wire format."""

    def __init__(self, serde: AvroSerde) -> None:
        super().__init__(topic=serde.topic)
        self.serde = serde

    def _dumps(self, obj: Any) -> bytes:
        return self.serde.encode(obj)

    def _loads(self, s: bytes) -> Any:
        return self.serde.decode(s)


def avro_codec(serde: AvroSerde) -> str:
    """Register (once) and name the codec of ``serde``'s topic, for a table's serializers."""
    name = f"avro-{serde.topic}"
    if name not in codecs.codecs:
        codecs.register(name, AvroCodec(serde))
    return name
