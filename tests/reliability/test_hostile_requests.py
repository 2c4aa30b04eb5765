"""A corpus of malformed requests against every write route and id route of both HTTP services.

Each case names the exact status SPEC §4 asks for (422 naming each bad field, 413 over 1 MiB,
404 unknown path, 405 unknown method) and what the error body must say. Runs against the real
services on a real broker; no input may yield a 5xx.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.e2e.shop import uid
from tests.reliability.conftest import FIGURES, HostileSystem

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

MIB = 1024 * 1024
ORDER: dict[str, Any] = {
    "customer_id": "c-1",
    "currency": "EUR",
    "items": [{"sku": "s-1", "quantity": 2, "unit_price_cents": 150}],
}
CUSTOMER: dict[str, Any] = {"name": "Ann Lee", "email": "ann@example.com"}
PAYMENT: dict[str, Any] = {"amount_cents": 300, "currency": "EUR"}
TRAVERSALS = ("..%2F..%2Fetc%2Fpasswd", "a%2Fb", "%2F..%2F..%2F")
BAD_IDS = {  # each one segment, so the route matches and the id itself is refused
    "backslash traversal": "..%5C..%5Cetc%5Cpasswd",
    "NUL": "a%00b",
    "space": "a%20b",
    "zero-width space": "a%E2%80%8Bb",
    "RTL override": "%E2%80%AEabc",
    "65 chars": "x" * 65,
    "emoji": "%F0%9F%98%80",
}


@dataclass(frozen=True)
class Case:
    """One malformed request and what the answer must be."""

    service: str  # "ingest" or "query"
    method: str
    path: str
    expect: int
    body: bytes | None = None
    content_type: str | None = "application/json"
    fields: frozenset[str] = field(default_factory=frozenset)  # 422: exactly these bad fields
    says: str = ""  # otherwise: this text in the body
    streamed: bool = False  # sent in chunks without Content-Length, so the limit must count bytes


def raw(obj: Any) -> bytes:
    """JSON bytes of ``obj``, as a client would send them."""
    return json.dumps(obj).encode()


def with_(base: dict[str, Any], **changes: Any) -> bytes:
    """``base`` with some fields changed, as JSON bytes."""
    return raw({**base, **changes})


def line(**changes: Any) -> bytes:
    """An order whose single line has some fields changed."""
    return with_(ORDER, items=[{**ORDER["items"][0], **changes}])


def body_cases() -> Iterator[tuple[str, Case]]:
    """Malformed bodies: JSON syntax, types, ranges, sizes and unicode."""
    post = "/v1/orders"
    yield "bad JSON", Case("ingest", "POST", post, 422, b'{"customer_id": "c-1",', fields=frozenset({"body"}))
    yield "not JSON", Case("ingest", "POST", post, 422, b"\xff\xfe garbage", fields=frozenset({"body"}))
    yield "JSON array", Case("ingest", "POST", post, 422, b"[1, 2]", fields=frozenset({"body"}))
    yield "JSON null", Case("ingest", "POST", post, 422, b"null", fields=frozenset({"body"}))
    yield "empty body", Case("ingest", "POST", post, 422, b"", fields=frozenset({"body"}))
    yield "no content-type", Case("ingest", "POST", post, 422, raw(ORDER), None, frozenset({"body"}))
    yield "text/plain", Case("ingest", "POST", post, 422, raw(ORDER), "text/plain", frozenset({"body"}))
    yield (
        "form",
        Case(
            "ingest",
            "POST",
            post,
            422,
            b"customer_id=c-1",
            "application/x-www-form-urlencoded",
            frozenset({"body"}),
        ),
    )
    q = "items.0.quantity"
    yield "quantity as string", Case("ingest", "POST", post, 422, line(quantity="5"), fields=frozenset({q}))
    yield "quantity as float", Case("ingest", "POST", post, 422, line(quantity=5.0), fields=frozenset({q}))
    yield "quantity as bool", Case("ingest", "POST", post, 422, line(quantity=True), fields=frozenset({q}))
    yield "quantity negative", Case("ingest", "POST", post, 422, line(quantity=-1), fields=frozenset({q}))
    yield "quantity zero", Case("ingest", "POST", post, 422, line(quantity=0), fields=frozenset({q}))
    yield "quantity 2^63", Case("ingest", "POST", post, 422, line(quantity=2**63), fields=frozenset({q}))
    yield "quantity 2^200", Case("ingest", "POST", post, 422, line(quantity=2**200), fields=frozenset({q}))
    yield (
        "quantity 1e400",
        Case(
            "ingest",
            "POST",
            post,
            422,
            line(quantity=1).replace(b'"quantity": 1', b'"quantity": 1e400'),
            fields=frozenset({q}),
        ),
    )
    yield (
        "quantity 5000 digits",
        Case(
            "ingest",
            "POST",
            post,
            422,
            line(quantity=1).replace(b'"quantity": 1', b'"quantity": ' + b"9" * 5000),
            fields=frozenset({"body"}),
        ),
    )
    yield (
        "price beyond int64",
        Case(
            "ingest",
            "POST",
            post,
            422,
            line(unit_price_cents=2**64),
            fields=frozenset({"items.0.unit_price_cents"}),
        ),
    )
    yield "no items", Case("ingest", "POST", post, 422, with_(ORDER, items=[]), fields=frozenset({"items"}))
    yield (
        "51 items",
        Case(
            "ingest",
            "POST",
            post,
            422,
            with_(ORDER, items=[{**ORDER["items"][0], "sku": f"s-{i}"} for i in range(51)]),
            fields=frozenset({"items"}),
        ),
    )
    yield (
        "currency lowercase",
        Case("ingest", "POST", post, 422, with_(ORDER, currency="eur"), fields=frozenset({"currency"})),
    )
    yield (
        "unknown field",
        Case("ingest", "POST", post, 422, with_(ORDER, discount=5), fields=frozenset({"discount"})),
    )
    yield (
        "every field wrong",
        Case(
            "ingest",
            "POST",
            post,
            422,
            raw({"customer_id": 7, "currency": None, "items": "x"}),
            fields=frozenset({"customer_id", "currency", "items"}),
        ),
    )
    yield (
        "order_id traversal",
        Case(
            "ingest",
            "POST",
            post,
            422,
            with_(ORDER, order_id="../../etc/passwd"),
            fields=frozenset({"order_id"}),
        ),
    )
    yield (
        "sku with NUL",
        Case("ingest", "POST", post, 422, line(sku="a\u0000b"), fields=frozenset({"items.0.sku"})),
    )
    yield (
        "sku RTL",
        Case("ingest", "POST", post, 422, line(sku="\u202eabc"), fields=frozenset({"items.0.sku"})),
    )
    yield (
        "sku zero-width",
        Case("ingest", "POST", post, 422, line(sku="a\u200bb"), fields=frozenset({"items.0.sku"})),
    )
    yield (
        "customer_id 10k chars",
        Case(
            "ingest",
            "POST",
            post,
            422,
            with_(ORDER, customer_id="c" * 10_000),
            fields=frozenset({"customer_id"}),
        ),
    )
    yield (
        "2 MiB order",
        Case("ingest", "POST", post, 413, with_(ORDER, pad="x" * 2 * MIB), says="larger than 1048576 bytes"),
    )
    batch = "/v1/orders:batch"
    yield "batch empty", Case("ingest", "POST", batch, 422, raw({"orders": []}), fields=frozenset({"orders"}))
    yield (
        "batch one bad",
        Case(
            "ingest",
            "POST",
            batch,
            422,
            raw({"orders": [ORDER, {**ORDER, "currency": "E"}]}),
            fields=frozenset({"orders.1.currency"}),
        ),
    )
    yield (
        "batch 1001",
        Case("ingest", "POST", batch, 422, raw({"orders": [ORDER] * 1001}), fields=frozenset({"orders"})),
    )
    yield (
        "batch 2 MiB",
        Case(
            "ingest", "POST", batch, 413, raw({"orders": [ORDER] * 20_000}), says="larger than 1048576 bytes"
        ),
    )
    cust = "/v1/customers/c-1"
    yield (
        "customer name lone surrogate",
        Case(
            "ingest", "PUT", cust, 422, b'{"name": "a\\ud800b", "email": "a@b.c"}', fields=frozenset({"name"})
        ),
    )
    yield (
        "customer email lone surrogate",
        Case(
            "ingest",
            "PUT",
            cust,
            422,
            b'{"name": "Ann", "email": "\\udfff@b.c"}',
            fields=frozenset({"email"}),
        ),
    )
    yield (
        "customer name 201 chars",
        Case("ingest", "PUT", cust, 422, with_(CUSTOMER, name="n" * 201), fields=frozenset({"name"})),
    )
    yield (
        "customer name empty",
        Case("ingest", "PUT", cust, 422, with_(CUSTOMER, name=""), fields=frozenset({"name"})),
    )
    yield (
        "customer tier unknown",
        Case("ingest", "PUT", cust, 422, with_(CUSTOMER, tier="DIAMOND"), fields=frozenset({"tier"})),
    )
    yield (
        "customer blocked as string",
        Case("ingest", "PUT", cust, 422, with_(CUSTOMER, blocked="true"), fields=frozenset({"blocked"})),
    )
    yield (
        "customer email no @",
        Case("ingest", "PUT", cust, 422, with_(CUSTOMER, email="ann"), fields=frozenset({"email"})),
    )
    yield (
        "customer 2 MiB",
        Case(
            "ingest", "PUT", cust, 413, with_(CUSTOMER, name="n" * 2 * MIB), says="larger than 1048576 bytes"
        ),
    )
    inv = "/v1/inventory/s-1"
    yield (
        "on_hand negative",
        Case("ingest", "PUT", inv, 422, raw({"on_hand": -1}), fields=frozenset({"on_hand"})),
    )
    yield (
        "on_hand beyond int32",
        Case("ingest", "PUT", inv, 422, raw({"on_hand": 2**31}), fields=frozenset({"on_hand"})),
    )
    yield (
        "on_hand as string",
        Case("ingest", "PUT", inv, 422, raw({"on_hand": "5"}), fields=frozenset({"on_hand"})),
    )
    yield "on_hand missing", Case("ingest", "PUT", inv, 422, raw({}), fields=frozenset({"on_hand"}))
    pay = "/v1/orders/o-1/payments"
    yield (
        "amount beyond int64",
        Case(
            "ingest", "POST", pay, 422, with_(PAYMENT, amount_cents=2**63), fields=frozenset({"amount_cents"})
        ),
    )
    yield (
        "amount negative",
        Case(
            "ingest", "POST", pay, 422, with_(PAYMENT, amount_cents=-300), fields=frozenset({"amount_cents"})
        ),
    )
    yield (
        "amount as string",
        Case(
            "ingest", "POST", pay, 422, with_(PAYMENT, amount_cents="300"), fields=frozenset({"amount_cents"})
        ),
    )
    yield (
        "payment_id with slash",
        Case("ingest", "POST", pay, 422, with_(PAYMENT, payment_id="a/b"), fields=frozenset({"payment_id"})),
    )
    yield (
        "payment 2 MiB",
        Case(
            "ingest", "POST", pay, 413, with_(PAYMENT, memo="m" * 2 * MIB), says="larger than 1048576 bytes"
        ),
    )
    too_big = "larger than 1048576 bytes"
    yield (
        "order 2 MiB streamed",
        Case("ingest", "POST", post, 413, with_(ORDER, pad="x" * 2 * MIB), says=too_big, streamed=True),
    )
    yield (
        "cancel with 2 MiB body",
        Case("ingest", "POST", "/v1/orders/o-1/cancel", 413, b"x" * 2 * MIB, says=too_big),
    )
    yield (
        "ship with 2 MiB streamed",
        Case("ingest", "POST", "/v1/orders/o-1/ship", 413, b"x" * 2 * MIB, says=too_big, streamed=True),
    )
    yield (
        "order_id lone surrogate",
        Case(
            "ingest",
            "POST",
            post,
            422,
            raw(ORDER)[:-1] + b', "order_id": "\\udc00"}',
            fields=frozenset({"order_id"}),
        ),
    )
    yield (
        "currency RTL",
        Case("ingest", "POST", post, 422, with_(ORDER, currency="\u202eEUR"), fields=frozenset({"currency"})),
    )


def id_routes() -> Iterator[tuple[str, str, str, str]]:
    """(service, method, path template, id field) of every route with an id in its path."""
    yield "ingest", "PUT", "/v1/customers/{}", "customer_id"
    yield "ingest", "PUT", "/v1/inventory/{}", "sku"
    yield "ingest", "POST", "/v1/orders/{}/payments", "order_id"
    yield "ingest", "POST", "/v1/orders/{}/cancel", "order_id"
    yield "ingest", "POST", "/v1/orders/{}/ship", "order_id"
    yield "query", "GET", "/v1/orders/{}", "order_id"
    yield "query", "GET", "/v1/customers/{}", "customer_id"
    yield "query", "GET", "/v1/customers/{}/orders", "customer_id"
    yield "query", "GET", "/v1/customers/{}/notifications", "customer_id"
    yield "query", "GET", "/v1/inventory/{}", "sku"


def valid_body(path: str) -> bytes | None:
    """A body the route would accept, so only the id is wrong."""
    if path.startswith("/v1/customers"):
        return raw(CUSTOMER)
    if path.startswith("/v1/inventory"):
        return raw({"on_hand": 1})
    if path.endswith("/payments"):
        return raw(PAYMENT)
    return None


def path_cases() -> Iterator[tuple[str, Case]]:
    """Bad ids (422 naming the id) and encoded slashes / traversal (404: no such path) on every id route."""
    for service, method, template, id_field in id_routes():
        body = valid_body(template) if method != "GET" else None
        for name, bad in BAD_IDS.items():
            case = Case(service, method, template.format(bad), 422, body, fields=frozenset({id_field}))
            yield f"{method} {template} {name}", case
        for traversal in TRAVERSALS:
            case = Case(service, method, template.format(traversal), 404, body, says="Not Found")
            yield f"{method} {template} {traversal}", case


def query_cases() -> Iterator[tuple[str, Case]]:
    """Bad query parameters of query-api, unknown paths and methods of both services."""
    order = "/v1/orders/o-1"
    yield (
        "wait_for unknown state",
        Case("query", "GET", order + "?wait_for=DONE", 422, fields=frozenset({"wait_for"})),
    )
    yield (
        "wait_for lowercase",
        Case("query", "GET", order + "?wait_for=paid", 422, fields=frozenset({"wait_for"})),
    )
    yield "wait_for empty", Case("query", "GET", order + "?wait_for=", 422, fields=frozenset({"wait_for"}))
    yield (
        "timeout negative",
        Case("query", "GET", order + "?wait_for=PAID&timeout_ms=-1", 422, fields=frozenset({"timeout_ms"})),
    )
    yield (
        "timeout too long",
        Case(
            "query", "GET", order + "?wait_for=PAID&timeout_ms=60001", 422, fields=frozenset({"timeout_ms"})
        ),
    )
    yield (
        "timeout 2^70",
        Case(
            "query",
            "GET",
            order + f"?wait_for=PAID&timeout_ms={2**70}",
            422,
            fields=frozenset({"timeout_ms"}),
        ),
    )
    yield (
        "timeout text",
        Case("query", "GET", order + "?wait_for=PAID&timeout_ms=ten", 422, fields=frozenset({"timeout_ms"})),
    )
    orders = "/v1/customers/c-1/orders"
    yield "limit zero", Case("query", "GET", orders + "?limit=0", 422, fields=frozenset({"limit"}))
    yield "limit 101", Case("query", "GET", orders + "?limit=101", 422, fields=frozenset({"limit"}))
    yield "limit float", Case("query", "GET", orders + "?limit=1.5", 422, fields=frozenset({"limit"}))
    yield (
        "cursor garbage",
        Case("query", "GET", orders + "?cursor=%21%21%21", 422, fields=frozenset({"cursor"})),
    )
    yield (
        "cursor unicode",
        Case("query", "GET", orders + "?cursor=%E2%80%AE%00", 422, fields=frozenset({"cursor"})),
    )
    yield (
        "cursor 201 chars",
        Case("query", "GET", orders + "?cursor=" + "A" * 201, 422, fields=frozenset({"cursor"})),
    )
    yield (
        "notifications limit text",
        Case("query", "GET", "/v1/customers/c-1/notifications?limit=x", 422, fields=frozenset({"limit"})),
    )
    yield (
        "sales minutes zero",
        Case("query", "GET", "/v1/stats/sales?minutes=0", 422, fields=frozenset({"minutes"})),
    )
    yield (
        "sales minutes 2^64",
        Case("query", "GET", f"/v1/stats/sales?minutes={2**64}", 422, fields=frozenset({"minutes"})),
    )
    yield (
        "query 2 MiB body",
        Case("query", "GET", order, 413, b"x" * 2 * MIB, says="larger than 1048576 bytes"),
    )
    yield "ingest unknown path", Case("ingest", "POST", "/v1/refunds", 404, raw({}), says="Not Found")
    yield "query unknown path", Case("query", "GET", "/v1/refunds/r-1", 404, says="Not Found")
    yield "ingest DELETE order", Case("ingest", "DELETE", "/v1/orders", 405, says="Method Not Allowed")
    yield "ingest GET customer", Case("ingest", "GET", "/v1/customers/c-1", 405, says="Method Not Allowed")
    yield (
        "query POST order",
        Case("query", "POST", "/v1/orders/o-1", 405, raw(ORDER), says="Method Not Allowed"),
    )


CASES = dict([*body_cases(), *path_cases(), *query_cases()])
FIGURES["malformed requests in the corpus"] = len(CASES)


async def chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """``body`` in pieces, so httpx sends it chunked, without Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.fixture(scope="module")
async def clients(hostile_system: HostileSystem) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """One client per service."""
    async with (
        httpx.AsyncClient(base_url=hostile_system.ingest, timeout=30) as ingest,
        httpx.AsyncClient(base_url=hostile_system.query, timeout=30) as query,
    ):
        yield {"ingest": ingest, "query": query}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_malformed_request_is_refused_naming_the_problem(
    case: Case, clients: dict[str, httpx.AsyncClient]
) -> None:
    headers = {"content-type": case.content_type} if case.content_type and case.body is not None else {}
    client = clients[case.service]
    content: bytes | AsyncIterator[bytes] | None = case.body
    if case.streamed and case.body is not None:
        content = chunks(case.body)
    request = client.build_request(case.method, case.path, content=content, headers=headers)
    if case.body:
        assert ("content-length" in request.headers) is not case.streamed
    r = await client.send(request)
    assert r.status_code == case.expect, r.text[:500]
    assert r.headers["content-type"] == "application/json"
    detail = r.json()["detail"]
    if case.expect == 422:
        assert {e["field"] for e in detail} == case.fields, detail
        assert all(e["msg"] for e in detail)
    else:
        assert case.says in detail


@pytest.mark.parametrize(
    "name", ["N\u0000ul", "\u202eRTL\u200f", "zero\u200bwidth\ufeff", "\U0001f600 " * 50, "\u00e9" * 200]
)
async def test_unicode_names_are_kept_exactly(name: str, clients: dict[str, httpx.AsyncClient]) -> None:
    """Valid Unicode (NUL, bidi marks, zero-width, astral) is text: stored and read back as sent."""
    customer_id = uid("c")
    r = await clients["ingest"].put(
        f"/v1/customers/{customer_id}", json={"name": name, "email": "u@example.com"}
    )
    assert r.status_code == 202, r.text
    for _ in range(100):
        got = await clients["query"].get(f"/v1/customers/{customer_id}")
        if got.status_code == 200:
            break
        await asyncio.sleep(0.1)
    assert got.status_code == 200, got.text
    assert got.json()["name"] == name
