"""Property-based requests generated from both OpenAPI documents, against the real running services.

schemathesis draws valid and invalid requests for every documented operation; each answer must
not be a 5xx, must use a documented status code and content type, and must match the documented
response schema. The number of examples is bounded so both services take about a minute.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from consumers.query_api.main import create_app as query_app
from consumers.query_api.settings import QuerySettings
from producers.ingest_api.main import create_app as ingest_app
from producers.ingest_api.settings import IngestSettings
from tests.reliability.conftest import FIGURES, HostileSystem

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 15
BATCH_CAP = 3  # a valid batch may carry 1000 orders of 50 lines: the processors would lag for minutes
LONG_POLL_CAP_MS = 100  # generated long-polls may ask for 60 s; a short wait exercises the same code
NOT_REQUEST_RESPONSE = {"/v1/stream", "/"}  # Server-Sent Events and the dashboard page never end / are HTML


def load(document: dict[str, Any]) -> schemathesis.BaseSchema:
    """An OpenAPI document as a schemathesis schema, operations that are not request/response left out."""
    return schemathesis.openapi.from_dict(document).exclude(path=sorted(NOT_REQUEST_RESPONSE))


# Built from the apps themselves (no lifespan, so no Kafka) so pytest can list one test per operation;
# test_served_openapi_is_the_one_tested proves the running services serve exactly these documents.
DOCUMENTS = {
    "ingest-api": ingest_app(IngestSettings()).openapi(),
    "query-api": query_app(QuerySettings(store="memory")).openapi(),
}
ingest_schema = load(DOCUMENTS["ingest-api"])
query_schema = load(DOCUMENTS["query-api"])


def call(case: Case[Any], service: str, base_url: str) -> None:
    """Send the case and run every check on the answer."""
    if case.query and "timeout_ms" in case.query and isinstance(case.query["timeout_ms"], int):
        case.query["timeout_ms"] = min(case.query["timeout_ms"], LONG_POLL_CAP_MS)
    if case.query and "wait_for" in case.query and "timeout_ms" not in case.query:
        case.query["timeout_ms"] = LONG_POLL_CAP_MS
    body = case.body
    if isinstance(body, dict) and isinstance(orders := body.get("orders"), list) and 1 <= len(orders) <= 1000:
        body["orders"] = orders[:BATCH_CAP]  # still a valid batch, only smaller
    key = f"schemathesis requests to {service}"
    FIGURES[key] = FIGURES.get(key, 0) + 1
    case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=30)


budget = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)


@ingest_schema.parametrize()
@budget
def test_ingest_api_conforms_to_its_openapi(case: Case[Any], hostile_system: HostileSystem) -> None:
    call(case, "ingest-api", hostile_system.ingest)


@query_schema.parametrize()
@budget
def test_query_api_conforms_to_its_openapi(case: Case[Any], hostile_system: HostileSystem) -> None:
    call(case, "query-api", hostile_system.query)


@pytest.mark.parametrize("service", DOCUMENTS)
def test_served_openapi_is_the_one_tested(service: str, hostile_system: HostileSystem) -> None:
    served = httpx.get(f"{hostile_system.services[service].url}/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == DOCUMENTS[service]
