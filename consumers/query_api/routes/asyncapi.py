"""``GET /asyncapi.json``: the AsyncAPI 3.0 document of every topic, as this deployment names them."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response

from consumers.query_api import deps
from consumers.query_api.settings import QuerySettings
from schemas.asyncapi import Cluster, document

router = APIRouter(tags=["contract"])


def build(settings: QuerySettings) -> bytes:
    """The document for the cluster ``settings`` name, encoded once when the app is built."""
    kafka = settings.kafka
    cluster = Cluster(
        bootstrap_servers=kafka.bootstrap_servers,
        registry_url=settings.registry.registry_url,
        topic_prefix=kafka.topic_prefix,
        partitions=kafka.partitions,
        replication_factor=kafka.replication_factor,
        security_protocol=kafka.security_protocol,
        sasl_mechanism=kafka.sasl_mechanism,
    )
    return orjson.dumps(document(cluster))


@router.get("/asyncapi.json")
async def asyncapi(request: Request) -> Response:
    """The AsyncAPI 3.0 document: every topic, its Avro records, and which service sends or receives it."""
    return Response(deps.asyncapi_document(request), media_type="application/json")
