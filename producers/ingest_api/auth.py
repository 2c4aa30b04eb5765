"""API-key check of ingest-api's ``/v1`` routes, on only when ``INGEST_API_KEYS`` names keys.

A key comes as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. Missing: 401 with
``WWW-Authenticate``; not one of the configured keys: 403. Health, readiness, metrics and the
OpenAPI pages stay open (probes and scrapers carry no keys).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.params import Depends as DependsParam
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from producers.ingest_api.keys import match

log = logging.getLogger(__name__)
REALM = 'Bearer realm="ingest-api"'

_bearer = HTTPBearer(
    auto_error=False, scheme_name="BearerKey", description="`Authorization: Bearer <API key>`"
)
_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKeyHeader", description="`X-API-Key: <API key>`"
)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
HeaderKey = Annotated[str | None, Depends(_header)]


def require_api_key(digests: Mapping[str, str]) -> DependsParam:
    """A router dependency admitting only requests that carry a key whose digest is in ``digests``."""
    frozen = dict(digests)

    async def check(request: Request, bearer: Bearer, header_key: HeaderKey) -> None:
        presented = header_key or (bearer.credentials if bearer else None)
        if not presented:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="API key required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                headers={"WWW-Authenticate": REALM},
            )
        name = match(presented, frozen)
        if name is None:
            log.warning("request with an unknown API key refused", extra={"path": request.url.path})
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="API key not accepted")
        request.state.api_key_name = name

    return DependsParam(check)
