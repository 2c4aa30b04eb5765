"""Property tests: whatever bytes arrive, decoding fails only with the project's DecodeError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import store
from schemas.exceptions import DecodeError
from schemas.serde import AvroSerde, ConfluentFraming, SingleObjectFraming
from tests.unit.schemas.test_serde import StubRegistry

ORDER = store.load("Order")
SINGLE = AvroSerde("orders", ORDER, SingleObjectFraming())
CONFLUENT = AvroSerde("orders", ORDER, ConfluentFraming(StubRegistry(), auto_register=True))
CONFLUENT.prepare()
HEADERS = [b"", b"\x00", b"\x00\x01\x02\x03\x04", b"\xc3\x01" + ORDER.fingerprint, b"\xc3\x01"]


def decode_fails_cleanly(serde: AvroSerde, data: bytes) -> None:
    """Decoding either succeeds with a dict or raises DecodeError; nothing else escapes."""
    try:
        record = serde.decode(data)
    except DecodeError:
        return
    assert isinstance(record, dict)
    assert set(record) == {f["name"] for f in ORDER.definition["fields"]}


@settings(max_examples=400, deadline=None)
@given(header=st.sampled_from(HEADERS), body=st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_decode_error(header: bytes, body: bytes) -> None:
    decode_fails_cleanly(SINGLE, header + body)
    decode_fails_cleanly(CONFLUENT, header + body)


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(min_value=0, max_value=200), flip=st.integers(min_value=0, max_value=255))
def test_damaged_real_records_raise_only_decode_error(cut: int, flip: int) -> None:
    now = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    items = [{"sku": "s", "quantity": 1, "unit_price_cents": 1}]
    record = {
        "order_id": "o",
        "customer_id": "c",
        "currency": "EUR",
        "items": items,
        "total_cents": 1,
        "paid_cents": 0,
        "state": "PAID",
        "reasons": ["x"],
        "version": 3,
        "placed_at": now,
        "updated_at": now,
        "validated_at": now,
        "payment_ids": ["p-1"],
    }
    for serde in (SINGLE, CONFLUENT):
        data = bytearray(serde.encode(record))
        position = cut % len(data)
        data[position] ^= flip
        decode_fails_cleanly(serde, bytes(data[: len(data) - cut % 7]))


ids = st.text(alphabet="abcXYZ019._-", min_size=1, max_size=64)


@settings(max_examples=200, deadline=None)
@given(
    order_id=ids,
    lines=st.lists(
        st.fixed_dictionaries(
            {
                "sku": ids,
                "quantity": st.integers(1, 1000),
                "unit_price_cents": st.integers(1, 100_000_000),
            }
        ),
        min_size=1,
        max_size=50,
    ),
    millis=st.integers(0, 4_102_444_800_000),
)
def test_orders_round_trip(order_id: str, lines: list[dict[str, object]], millis: int) -> None:
    when = millis
    record = {
        "order_id": order_id,
        "customer_id": order_id,
        "currency": "EUR",
        "items": lines,
        "total_cents": 2**62,
        "paid_cents": 0,
        "state": "CREATED",
        "reasons": [],
        "version": 1,
        "placed_at": when,
        "updated_at": when,
        "validated_at": None,
        "payment_ids": [],
    }
    for serde in (SINGLE, CONFLUENT):
        assert serde.decode(serde.encode(record)) == record
