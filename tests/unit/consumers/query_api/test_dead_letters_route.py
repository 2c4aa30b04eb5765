"""GET /v1/dead-letters refuses what it cannot filter by, naming the parameter (SPEC §4: 4xx, never 5xx)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from consumers.query_api.main import create_app
from consumers.query_api.settings import QuerySettings


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(QuerySettings()))  # no lifespan: no Kafka, no letters
    async with httpx.AsyncClient(transport=transport, base_url="http://query") as client:
        yield client


async def test_an_empty_read_model_lists_nothing(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/dead-letters", params={"service": "orders", "kind": "unmatched", "limit": 5})
    assert (r.status_code, r.json()) == (200, {"dead_letters": [], "next_cursor": None})


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "bogus"}, "kind"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"cursor": "%%"}, "cursor"),
    ],
)
async def test_bad_parameters_answer_422_naming_them(
    client: httpx.AsyncClient, params: dict[str, str | int], field: str
) -> None:
    r = await client.get("/v1/dead-letters", params=params)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["detail"]] == [field]
