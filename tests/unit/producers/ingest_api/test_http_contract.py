"""ingest-api's HTTP contract with Kafka replaced: validation, limits and status codes.

The publisher is faked here because what is under test is HTTP handling, not Kafka; the e2e
tests cover the same routes against a real broker.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx
import pytest

from infra.tracing import KafkaHeaders
from producers.ingest_api.main import create_app
from producers.ingest_api.publisher import KafkaUnavailable
from producers.ingest_api.settings import IngestSettings
from schemas.topics import TopicSpec


class FakePublisher:
    """Records what would be published, or fails like an unreachable Kafka."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str, Mapping[str, Any]]] = []
        self.headers: list[KafkaHeaders] = []  # the trace headers each call was given
        self.down = False

    async def publish(
        self, spec: TopicSpec, key: str, record: Mapping[str, Any], headers: KafkaHeaders = ()
    ) -> None:
        await self.publish_many(spec, [(key, record)], headers)

    async def publish_many(
        self, spec: TopicSpec, events: Sequence[tuple[str, Mapping[str, Any]]], headers: KafkaHeaders = ()
    ) -> None:
        if self.down:
            raise KafkaUnavailable("down")
        self.published.extend((spec.name, k, r) for k, r in events)
        self.headers.append(headers)

    async def reachable(self) -> bool:
        return not self.down


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
async def client(publisher: FakePublisher) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(IngestSettings.model_validate({"query_base_url": "http://query.example:9000"}))
    app.state.publisher = publisher
    app.state.serdes = publisher  # answers reachable() like the registry would
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as c:
        yield c


ORDER = {
    "customer_id": "c-1",
    "currency": "EUR",
    "items": [{"sku": "s-1", "quantity": 2, "unit_price_cents": 5}],
}


async def test_order_is_published_with_location(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    r = await client.post("/v1/orders", json={**ORDER, "order_id": "o-1"})
    assert r.status_code == 202
    assert r.json() == {"order_id": "o-1"}
    assert r.headers["location"] == "http://query.example:9000/v1/orders/o-1"
    [(topic, key, record)] = publisher.published
    assert (topic, key, record["order_id"], record["items"]) == (
        "order-requests",
        "o-1",
        "o-1",
        ORDER["items"],
    )


async def test_order_id_is_generated_when_absent(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    r = await client.post("/v1/orders", json=ORDER)
    assert r.status_code == 202
    order_id = r.json()["order_id"]
    assert len(order_id) == 36
    assert publisher.published[0][1] == order_id


async def test_batch_answers_ids_in_input_order(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    orders = [{**ORDER, "order_id": f"o-{i}"} for i in range(5)] + [ORDER]
    r = await client.post("/v1/orders:batch", json={"orders": orders})
    assert r.status_code == 202
    ids = r.json()["order_ids"]
    assert ids[:5] == [f"o-{i}" for i in range(5)]
    assert [key for _, key, _ in publisher.published] == ids


async def test_customer_put_defaults_tier_and_blocked(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    r = await client.put("/v1/customers/c-1", json={"name": "Ann", "email": "ann@example.com"})
    assert r.status_code == 202
    [(topic, key, record)] = publisher.published
    assert (topic, key, record["tier"], record["blocked"]) == ("customers", "c-1", "BRONZE", False)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**ORDER, "currency": "eur"}, ["currency"]),
        ({**ORDER, "items": []}, ["items"]),
        ({**ORDER, "items": [{"sku": "s", "quantity": 0, "unit_price_cents": 5}]}, ["items.0.quantity"]),
        ({**ORDER, "items": [{"sku": "s", "quantity": 1001, "unit_price_cents": 5}]}, ["items.0.quantity"]),
        ({**ORDER, "items": [{"sku": "s", "quantity": "2", "unit_price_cents": 5}]}, ["items.0.quantity"]),
        (
            {**ORDER, "items": [{"sku": "s", "quantity": 1, "unit_price_cents": 100_000_001}]},
            ["items.0.unit_price_cents"],
        ),
        ({**ORDER, "order_id": "a/b"}, ["order_id"]),
        ({**ORDER, "order_id": "x" * 65}, ["order_id"]),
        ({**ORDER, "customer_id": None, "currency": 1}, ["customer_id", "currency"]),
        ({**ORDER, "surprise": 1}, ["surprise"]),
        ([], ["body"]),
    ],
)
async def test_invalid_order_is_422_naming_each_field(
    client: httpx.AsyncClient, publisher: FakePublisher, body: Any, fields: list[str]
) -> None:
    r = await client.post("/v1/orders", json=body)
    assert r.status_code == 422
    assert sorted({e["field"] for e in r.json()["detail"]}) == sorted(fields)
    assert publisher.published == []


@pytest.mark.parametrize(
    "content",
    [
        b'{"customer_id": ',  # cut short
        b"4\xff\xfe",  # not UTF-8: FastAPI alone would answer 400
        b'{"customer_id": ' + b"9" * 5000 + b"}",  # past Python's 4300-digit int limit: 400 too
    ],
    ids=["truncated", "not-utf8", "5000-digit-number"],
)
async def test_malformed_json_is_422_naming_the_body(
    client: httpx.AsyncClient, publisher: FakePublisher, content: bytes
) -> None:
    r = await client.post("/v1/orders", content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422
    [error] = r.json()["detail"]
    assert (error["field"], error["msg"].startswith("JSON decode error")) == ("body", True)
    assert publisher.published == []


def nested(depth: int, shape: str) -> bytes:
    """A JSON body ``depth`` levels deep: arrays in arrays, or objects in objects."""
    if shape == "arrays":
        return b"[" * depth + b"]" * depth
    return b'{"a": ' * depth + b"1" + b"}" * depth


@pytest.mark.timeout(10)  # guards against a parser that hangs on depth; not a measurement
@pytest.mark.parametrize("shape", ["arrays", "objects"])
@pytest.mark.parametrize("depth", [1000, 100_000])
async def test_json_nested_too_deeply_is_422_naming_the_body(
    client: httpx.AsyncClient, publisher: FakePublisher, depth: int, shape: str
) -> None:
    r = await client.post(
        "/v1/orders", content=nested(depth, shape), headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json() == {
        "detail": [{"field": "body", "loc": ["body"], "msg": "JSON decode error: nested too deeply"}]
    }
    assert publisher.published == []


@pytest.mark.parametrize("shape", ["arrays", "objects"])
async def test_no_depth_of_json_answers_other_than_422(client: httpx.AsyncClient, shape: str) -> None:
    """Below Python's recursion limit the body fails validation, above it fails parsing: 422 both."""
    statuses = set()
    for depth in range(1, 2000, 7):
        r = await client.put(
            "/v1/customers/c-1", content=nested(depth, shape), headers={"content-type": "application/json"}
        )
        statuses.add(r.status_code)
    assert statuses == {422}


async def test_openapi_documents_the_error_answers_as_sent(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"]["/v1/orders"]["post"]["responses"]
    assert sorted(responses) == ["202", "413", "422", "503"]
    schema = responses["422"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/InvalidRequest"}
    field_error = document["components"]["schemas"]["FieldError"]
    assert sorted(field_error["required"]) == ["field", "loc", "msg"]
    assert "Retry-After" in responses["503"]["headers"]


async def test_body_over_one_mebibyte_is_413(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/orders", content=b" " * (1024 * 1024 + 1), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/orders/o-1/ship"])
async def test_body_over_one_mebibyte_without_content_length_is_413(
    client: httpx.AsyncClient, publisher: FakePublisher, path: str
) -> None:
    """Streamed (chunked) bodies are counted too, also on routes that never read their body."""
    r = await client.post(path, content=_chunks(b"x" * (2 * 1024 * 1024)))
    assert r.status_code == 413
    assert r.json() == {"detail": "request body larger than 1048576 bytes"}
    assert publisher.published == []


async def test_unknown_path_is_404_and_unknown_method_is_405(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/nothing")).status_code == 404
    assert (await client.delete("/v1/orders")).status_code == 405


async def test_kafka_down_is_503_with_retry_after(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    publisher.down = True
    r = await client.post("/v1/orders", json=ORDER)
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert (await client.get("/readyz")).status_code == 503


TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def test_a_request_traceparent_goes_on_every_record_it_writes(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    """SPEC §5: the W3C trace context of the request is carried in the Kafka headers."""
    r = await client.post(
        "/v1/orders:batch", json={"orders": [ORDER, ORDER]}, headers={"traceparent": TRACEPARENT}
    )
    assert r.status_code == 202
    assert publisher.headers == [[("traceparent", TRACEPARENT.encode())]]


async def test_a_request_without_traceparent_starts_a_trace(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    assert (await client.post("/v1/orders", json=ORDER)).status_code == 202
    assert (await client.post("/v1/orders", json=ORDER)).status_code == 202
    first, second = (
        [value.decode() for name, value in h if name == "traceparent"] for h in publisher.headers
    )
    assert len(first) == len(second) == 1
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", first[0])
    assert first[0].split("-")[1] != second[0].split("-")[1]  # a new trace per request
