"""ingest-api's API keys: hashing, constant-time matching, 401/403 and the OpenAPI security schemes.

The publisher is faked (as in test_http_contract): what is under test is the HTTP guard; the
reliability tests run the same guard in the real service against a real broker.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError

from infra import api_keys
from producers.ingest_api import keys
from producers.ingest_api.main import create_app
from producers.ingest_api.settings import IngestSettings
from tests.unit.producers.ingest_api.test_http_contract import ORDER, FakePublisher

KEY = "k3y-for-the-simulator-0123456789abcdef"
OTHER = "another-key-for-ops-0123456789abcdef"


def test_digest_is_sha256_hex_of_the_utf8_key() -> None:
    assert api_keys.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert api_keys.digest("ключ") == hashlib.sha256("ключ".encode()).hexdigest()


def test_match_names_the_key_and_checks_every_digest() -> None:
    digests = {"sim": api_keys.digest(KEY), "ops": api_keys.digest(OTHER)}
    assert api_keys.match(KEY, digests) == "sim"
    assert api_keys.match(OTHER, digests) == "ops"
    assert api_keys.match(KEY + "x", digests) is None
    assert api_keys.match("", digests) is None
    assert api_keys.match(KEY, {}) is None


def test_new_keys_are_random_and_long() -> None:
    made = {api_keys.new_key() for _ in range(50)}
    assert len(made) == 50
    assert all(len(k) == 43 for k in made)


def test_cli_hash_reads_the_key_on_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY + "\n"))
    assert keys.main(["hash"]) == 0
    assert capsys.readouterr().out == api_keys.digest(KEY) + "\n"


def test_cli_hash_refuses_an_empty_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert keys.main(["hash"]) == 2
    assert capsys.readouterr().err == "error: no key on stdin\n"


def test_cli_new_prints_a_key_and_its_digest(capsys: pytest.CaptureFixture[str]) -> None:
    assert keys.main(["new"]) == 0
    key_line, digest_line = capsys.readouterr().out.splitlines()
    key = key_line.removeprefix("key:    ")
    assert digest_line == f"digest: {api_keys.digest(key)}"


def test_settings_take_digests_from_json_env(monkeypatch: pytest.MonkeyPatch) -> None:
    upper = api_keys.digest(KEY).upper()
    monkeypatch.setenv("INGEST_API_KEYS", json.dumps({"sim": upper}))
    assert IngestSettings().api_keys == {"sim": api_keys.digest(KEY)}


def test_settings_refuse_a_plaintext_key_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_API_KEYS", json.dumps({"sim": KEY}))
    with pytest.raises(ValidationError) as caught:
        IngestSettings()
    assert "api_keys.sim" in str(caught.value)
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)


@pytest.fixture
async def guarded(publisher: FakePublisher) -> AsyncIterator[httpx.AsyncClient]:
    settings = IngestSettings(api_keys={"sim": api_keys.digest(KEY), "ops": api_keys.digest(OTHER)})
    app = create_app(settings)
    app.state.publisher = publisher
    app.state.serdes = publisher
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as c:
        yield c


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


async def test_without_a_key_401_with_www_authenticate(
    guarded: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    r = await guarded.post("/v1/orders", json=ORDER)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="ingest-api"'
    assert r.json() == {
        "detail": "API key required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
    }
    assert publisher.published == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": "wrong"},
        {"X-API-Key": KEY.upper()},
        {"Authorization": f"Bearer {KEY}-"},
    ],
)
async def test_wrong_key_403(
    guarded: httpx.AsyncClient, publisher: FakePublisher, headers: dict[str, str]
) -> None:
    r = await guarded.put("/v1/inventory/sku-1", json={"on_hand": 3}, headers=headers)
    assert r.status_code == 403
    assert r.json() == {"detail": "API key not accepted"}
    assert KEY not in r.text
    assert publisher.published == []


@pytest.mark.parametrize("headers", [{"Authorization": f"Bearer {KEY}"}, {"X-API-Key": OTHER}])
async def test_right_key_202(
    guarded: httpx.AsyncClient, publisher: FakePublisher, headers: dict[str, str]
) -> None:
    r = await guarded.post("/v1/orders", json={**ORDER, "order_id": "o-1"}, headers=headers)
    assert r.status_code == 202
    assert r.json() == {"order_id": "o-1"}
    assert [(t, k) for t, k, _ in publisher.published] == [("order-requests", "o-1")]


async def test_a_non_bearer_authorization_counts_as_no_key(guarded: httpx.AsyncClient) -> None:
    r = await guarded.post("/v1/orders/o-1/cancel", headers={"Authorization": f"Basic {KEY}"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("content", "status"),
    [(b'{"items": "nonsense"}', 401), (b"{not json", 401), (b"x" * (2 * 1024 * 1024), 401)],
)
async def test_key_is_checked_before_the_body(
    guarded: httpx.AsyncClient, content: bytes, status: int
) -> None:
    headers = {"content-type": "application/json"}
    r = await guarded.post("/v1/orders", content=content, headers=headers)
    assert r.status_code == status
    r = await guarded.post("/v1/orders", content=content, headers={**headers, "X-API-Key": "wrong"})
    assert r.status_code == 403


async def test_with_a_key_the_usual_answers_follow(guarded: httpx.AsyncClient) -> None:
    headers = {"X-API-Key": KEY, "content-type": "application/json"}
    assert (await guarded.post("/v1/orders", content=b"{not json", headers=headers)).status_code == 422
    too_big = b"x" * (2 * 1024 * 1024)
    assert (await guarded.post("/v1/orders", content=too_big, headers=headers)).status_code == 413
    assert (await guarded.get("/v1/nothing", headers=headers)).status_code == 404
    assert (await guarded.delete("/v1/orders", headers=headers)).status_code == 405


async def test_unknown_paths_outside_v1_stay_404_without_a_key(guarded: httpx.AsyncClient) -> None:
    assert (await guarded.get("/nothing")).status_code == 404
    assert (await guarded.get("/v1/nothing")).status_code == 401


async def test_health_metrics_and_docs_stay_open(guarded: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
        r = await guarded.get(path)
        assert r.status_code == 200, path


async def test_openapi_declares_both_schemes_on_v1_routes(guarded: httpx.AsyncClient) -> None:
    spec = (await guarded.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"] == {
        "BearerKey": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <API key>`"},
        "ApiKeyHeader": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "`X-API-Key: <API key>`",
        },
    }
    post = spec["paths"]["/v1/orders"]["post"]
    assert post["security"] == [{"BearerKey": []}, {"ApiKeyHeader": []}]
    assert "security" not in spec["paths"]["/healthz"]["get"]


async def test_without_keys_configured_nothing_changes(publisher: FakePublisher) -> None:
    app = create_app(IngestSettings())
    app.state.publisher = publisher
    app.state.serdes = publisher
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as c:
        r = await c.post("/v1/orders", json={**ORDER, "order_id": "o-2"})
        spec = (await c.get("/openapi.json")).json()
    assert r.status_code == 202
    assert "securitySchemes" not in spec.get("components", {})
