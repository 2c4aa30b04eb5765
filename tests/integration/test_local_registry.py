"""The registry serves the Confluent-compatible schema registry API (ccompat v7).

The session's own Apicurio Registry (``infra.pytest_plugin``'s ``schema_registry``), never
``make up``'s on 8081, unless ``SCHEMA_REGISTRY_URL`` names another.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infra.session_names import unique

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
ORDER_V1: dict[str, Any] = {
    "type": "record",
    "name": "RegistryProbe",
    "namespace": "shopstream.test",
    "fields": [{"name": "order_id", "type": "string"}, {"name": "amount_cents", "type": "long"}],
}


@pytest.fixture
def api(schema_registry: str) -> Iterator[httpx.Client]:
    """An HTTP client rooted at the session registry's ccompat v7 API."""
    headers = {"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE}
    with httpx.Client(base_url=schema_registry, headers=headers, timeout=10.0, trust_env=False) as client:
        yield client


@pytest.fixture
def subject() -> str:
    """A subject no other test uses, named like a topic's value subject."""
    return f"{unique('registry-probe')}-value"


def _register(api: httpx.Client, subject: str, schema: dict[str, Any]) -> httpx.Response:
    """POST schema as a new version of subject."""
    body = {"schema": json.dumps(schema), "schemaType": "AVRO"}
    return api.post(f"/subjects/{subject}/versions", json=body)


def _schema_id(response: httpx.Response) -> int:
    """Return the id of a successful registration."""
    assert response.status_code == httpx.codes.OK, response.text
    schema_id = response.json()["id"]
    assert isinstance(schema_id, int)
    return schema_id


def test_register_list_and_fetch_by_id(api: httpx.Client, subject: str) -> None:
    """A registered schema is listed, keeps its id when registered again, and is served by id."""
    schema_id = _schema_id(_register(api, subject, ORDER_V1))

    subjects = api.get("/subjects")
    assert subjects.status_code == httpx.codes.OK
    assert subject in subjects.json()

    assert _schema_id(_register(api, subject, ORDER_V1)) == schema_id
    versions = api.get(f"/subjects/{subject}/versions")
    assert versions.json() == [1]

    by_id = api.get(f"/schemas/ids/{schema_id}")
    assert by_id.status_code == httpx.codes.OK, by_id.text
    assert json.loads(by_id.json()["schema"]) == ORDER_V1


def test_backward_compatibility_refuses_incompatible_change(api: httpx.Client, subject: str) -> None:
    """Under BACKWARD, a new field without a default is refused (409); one with a default is accepted."""
    first_id = _schema_id(_register(api, subject, ORDER_V1))
    config = api.put(f"/config/{subject}", json={"compatibility": "BACKWARD"})
    assert config.status_code == httpx.codes.OK, config.text
    assert config.json()["compatibility"] == "BACKWARD"

    no_default = {**ORDER_V1, "fields": [*ORDER_V1["fields"], {"name": "currency", "type": "string"}]}
    latest = f"/compatibility/subjects/{subject}/versions/latest"
    check = api.post(latest, json={"schema": json.dumps(no_default)})
    assert check.status_code == httpx.codes.OK, check.text
    assert check.json()["is_compatible"] is False
    refused = _register(api, subject, no_default)
    assert refused.status_code == httpx.codes.CONFLICT, refused.text
    assert refused.json()["error_code"] == httpx.codes.CONFLICT

    field = {"name": "currency", "type": "string", "default": "EUR"}
    with_default = {**ORDER_V1, "fields": [*ORDER_V1["fields"], field]}
    assert _schema_id(_register(api, subject, with_default)) != first_id
    assert api.get(f"/subjects/{subject}/versions").json() == [1, 2]
