"""The serde: round trips of every record, the single-object header, and refusal of bad bytes."""

from __future__ import annotations

import pytest

from schemas import store
from schemas.exceptions import DecodeError, EncodeError
from schemas.serde import HEADER_SIZE, MARKER, AvroSerde
from tests.unit.schemas.samples import SAMPLES


def test_every_record_of_the_store_has_a_sample() -> None:
    assert sorted(SAMPLES) == store.all_names()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip(name: str) -> None:
    serde = AvroSerde.for_record(name)
    assert serde.decode(serde.encode(SAMPLES[name])) == SAMPLES[name]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_header_is_marker_and_fingerprint(name: str) -> None:
    data = AvroSerde.for_record(name).encode(SAMPLES[name])
    assert data[:2] == MARKER == b"\xc3\x01"
    assert data[2:HEADER_SIZE] == store.load(name).fingerprint


def test_golden_bytes_of_a_state_count() -> None:
    data = AvroSerde.for_record("StateCount").encode({"state": "PAID", "count": 3})
    # body: string "PAID" = zigzag(4)=0x08 + bytes, long 3 = zigzag(3)=0x06
    assert data[HEADER_SIZE:] == b"\x08PAID\x06"


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", b"\xc3", b"\xc3\x01", b"\x00\x00\x00\x00\x01abc", b"\xc3\x01" + b"\x00" * 8 + b"\x02"],
)
def test_bad_bytes_raise_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        AvroSerde.for_record("Order").decode(data)


def test_truncated_body_raises_decode_error() -> None:
    serde = AvroSerde.for_record("Order")
    data = serde.encode(SAMPLES["Order"])
    with pytest.raises(DecodeError):
        serde.decode(data[:-5])


def test_trailing_bytes_raise_decode_error() -> None:
    serde = AvroSerde.for_record("StateCount")
    with pytest.raises(DecodeError, match="trailing"):
        serde.decode(serde.encode({"state": "PAID", "count": 3}) + b"\x00")


def test_other_records_fingerprint_is_unknown() -> None:
    data = AvroSerde.for_record("StateCount").encode({"state": "PAID", "count": 3})
    with pytest.raises(DecodeError, match="unknown schema fingerprint"):
        AvroSerde.for_record("Order").decode(data)


def test_encoding_a_bad_record_raises_encode_error() -> None:
    with pytest.raises(EncodeError):
        AvroSerde.for_record("StateCount").encode({"state": "PAID"})
