"""What ingest-api routes use, read from ``app.state`` (where ``create_app`` and the lifespan put it).

Routes take the ``Request`` and call these accessors instead of declaring ``Depends`` on them:
FastAPI solves every dependency on every request, about 10 µs each on this machine (issue 14).
Reading ``app.state`` at request time keeps what tests put there (a fake publisher) in use.
"""

from fastapi import Request

from infra import tracing
from producers.ingest_api.publisher import Event, EventPublisher
from producers.ingest_api.settings import IngestSettings
from schemas.topics import TopicSpec


def publisher(request: Request) -> EventPublisher:
    """The one Kafka publisher of the process."""
    shared: EventPublisher = request.app.state.publisher
    return shared


def settings(request: Request) -> IngestSettings:
    """ingest-api's settings."""
    configured: IngestSettings = request.app.state.settings
    return configured


def trace_headers(request: Request) -> tracing.KafkaHeaders:
    """The Kafka headers that carry the request's trace to every record it writes (SPEC §5).

    The request's own ``traceparent`` is continued (through FastAPI's server span when spans are
    exported); a request without one starts a new trace.
    """
    return tracing.request_headers(request.headers)


async def publish(request: Request, topic: TopicSpec, key: str, record: Event) -> None:
    """Publish ``record`` with the request's trace headers; returns once Kafka acknowledged it (acks=all)."""
    await publisher(request).publish(topic, key, record, trace_headers(request))
