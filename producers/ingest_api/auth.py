"""API-key check of ingest-api's ``/v1`` routes, on only when ``INGEST_API_KEYS`` names keys.

A key comes as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. Missing: 401 with
``WWW-Authenticate``; not one of the configured keys: 403. Health, readiness, metrics and the
OpenAPI pages stay open (probes and scrapers carry no keys).

The check is ASGI middleware, so it runs before anything reads the request (a client without
a key learns nothing about its body); the routers carry the two header schemes only so that the
OpenAPI document declares them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import Security, status
from fastapi.params import Depends as DependsParam
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from infra.api_keys import match

log = logging.getLogger(__name__)
REALM = 'Bearer realm="ingest-api"'
GUARDED_PREFIX = "/v1/"
MISSING = "API key required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
REFUSED = "API key not accepted"

_bearer = HTTPBearer(
    auto_error=False, scheme_name="BearerKey", description="`Authorization: Bearer <API key>`"
)
_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKeyHeader", description="`X-API-Key: <API key>`"
)
# router dependencies that only declare the schemes in OpenAPI (either one will do)
OPENAPI_SCHEMES: list[DependsParam] = [Security(_bearer), Security(_header)]


def presented_key(headers: Headers) -> str | None:
    """The key a request carries: ``X-API-Key``, else the token of ``Authorization: Bearer``."""
    if key := headers.get("x-api-key"):
        return key
    scheme, token = get_authorization_scheme_param(headers.get("authorization"))
    return token if scheme.lower() == "bearer" and token else None


class ApiKeyGuard:
    """Answers 401/403 to ``/v1`` requests without a configured key; passes the rest on."""

    def __init__(self, app: ASGIApp, digests: Mapping[str, str]) -> None:
        self.app = app
        self.digests = dict(digests)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the key before the request reaches routing, validation or the body."""
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED_PREFIX):
            await self.app(scope, receive, send)
            return
        key = presented_key(Headers(scope=scope))
        if not key:
            response = JSONResponse(
                {"detail": MISSING}, status.HTTP_401_UNAUTHORIZED, headers={"WWW-Authenticate": REALM}
            )
            await response(scope, receive, send)
            return
        name = match(key, self.digests)
        if name is None:
            log.warning("request with an unknown API key refused", extra={"path": scope["path"]})
            await JSONResponse({"detail": REFUSED}, status.HTTP_403_FORBIDDEN)(scope, receive, send)
            return
        scope.setdefault("state", {})["api_key_name"] = name  # request.state.api_key_name
        await self.app(scope, receive, send)
