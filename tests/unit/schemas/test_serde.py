"""The serde: round trips of every record, both framings' headers, and refusal of bad bytes."""

from __future__ import annotations

import pytest

from schemas import store
from schemas.exceptions import DecodeError, EncodeError
from schemas.serde import MARKER, SINGLE_OBJECT_HEADER, AvroSerde, ConfluentFraming, SingleObjectFraming
from tests.unit.schemas.samples import SAMPLES


class StubRegistry:
    """Answers fixed ids: the framing, not the registry, is under test here."""

    def __init__(self) -> None:
        self.registered: list[tuple[str, str]] = []

    def register(self, subject: str, schema: store.Schema) -> int:
        self.registered.append((subject, schema.name))
        return 0x01020304

    lookup = register

    def schema_by_id(self, schema_id: int) -> store.Schema:
        from schemas.registry import RegistryError

        raise RegistryError(f"GET /schemas/ids/{schema_id}: HTTP 404 not found")


def single_object(name: str) -> AvroSerde:
    return AvroSerde(f"topic-of-{name}", store.load(name), SingleObjectFraming())


def test_every_record_of_the_store_has_a_sample() -> None:
    assert sorted(SAMPLES) == store.all_names()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip_single_object(name: str) -> None:
    serde = single_object(name)
    assert serde.decode(serde.encode(SAMPLES[name])) == SAMPLES[name]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip_confluent(name: str) -> None:
    serde = AvroSerde("orders", store.load(name), ConfluentFraming(StubRegistry(), auto_register=True))
    assert serde.decode(serde.encode(SAMPLES[name])) == SAMPLES[name]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_single_object_header_is_marker_and_fingerprint(name: str) -> None:
    data = single_object(name).encode(SAMPLES[name])
    assert data[:2] == MARKER == b"\xc3\x01"
    assert data[2:SINGLE_OBJECT_HEADER] == store.load(name).fingerprint


def test_golden_bytes_confluent() -> None:
    registry = StubRegistry()
    serde = AvroSerde("t.order-counts", store.load("StateCount"), ConfluentFraming(registry, True))
    # magic 0, id 0x01020304 big-endian, then string "PAID" (zigzag 4 = 0x08) and long 3 (zigzag 0x06)
    assert serde.encode({"state": "PAID", "count": 3}) == b"\x00\x01\x02\x03\x04\x08PAID\x06"
    assert registry.registered == [("t.order-counts-value", "StateCount")]


def test_golden_bytes_single_object() -> None:
    data = single_object("StateCount").encode({"state": "PAID", "count": 3})
    assert data == b"\xc3\x01" + store.load("StateCount").fingerprint + b"\x08PAID\x06"


def test_confluent_unknown_schema_id_is_a_decode_error() -> None:
    serde = AvroSerde("orders", store.load("StateCount"), ConfluentFraming(StubRegistry(), True))
    with pytest.raises(DecodeError, match="unknown schema id 7"):
        serde.decode(b"\x00\x00\x00\x00\x07\x08PAID\x06")


def test_confluent_wrong_magic_byte_is_a_decode_error() -> None:
    serde = AvroSerde("orders", store.load("StateCount"), ConfluentFraming(StubRegistry(), True))
    with pytest.raises(DecodeError, match="magic byte"):
        serde.decode(b"\x01\x01\x02\x03\x04\x08PAID\x06")


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", b"\xc3", b"\xc3\x01", b"\x00\x00\x00\x00\x01abc", b"\xc3\x01" + b"\x00" * 8 + b"\x02"],
)
def test_bad_bytes_raise_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        single_object("Order").decode(data)


def test_truncated_body_raises_decode_error() -> None:
    serde = single_object("Order")
    data = serde.encode(SAMPLES["Order"])
    with pytest.raises(DecodeError):
        serde.decode(data[:-5])


def test_trailing_bytes_raise_decode_error() -> None:
    serde = single_object("StateCount")
    with pytest.raises(DecodeError, match="trailing"):
        serde.decode(serde.encode({"state": "PAID", "count": 3}) + b"\x00")


def test_another_records_bytes_are_refused() -> None:
    data = single_object("StateCount").encode({"state": "PAID", "count": 3})
    with pytest.raises(DecodeError, match="a StateCount, not a Order"):
        single_object("Order").decode(data)


def test_encoding_a_bad_record_raises_encode_error() -> None:
    with pytest.raises(EncodeError):
        single_object("StateCount").encode({"state": "PAID"})
