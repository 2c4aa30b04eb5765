"""W3C trace context from the HTTP request to the notification, carried in Kafka record headers (SPEC §5).

Every service calls :func:`configure` once at start. With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans
are recorded by the OpenTelemetry SDK and exported over OTLP/HTTP (the exporter reads the standard
``OTEL_EXPORTER_OTLP_*`` and ``OTEL_SERVICE_NAME`` variables). Without it nothing is recorded: the
OpenTelemetry API's no-op tracer hands the parent's span context through, so a record's
``traceparent`` (and ``tracestate``) is forwarded unchanged to everything written because of it,
at the cost of parsing and writing one header.

The helpers here are the only place that turns headers into a context and back:
:func:`context_from` (Kafka record headers → context), :func:`kafka_headers` (context → the
headers to write), :func:`request_context` (an HTTP request's context, a new trace if it has none).
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Iterable, Mapping, Sequence

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

log = logging.getLogger(__name__)
ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
TRACER_NAME = "shopstream"

KafkaHeaders = Sequence[tuple[str, bytes]]  # (name, value) pairs, as aiokafka and Faust take them
FIELDS = frozenset({"traceparent", "tracestate"})  # the W3C Trace Context headers


def configure(service: str) -> bool:
    """Export spans over OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; returns whether it is.

    The SDK and the exporter are imported only then, so a service that does not export pays
    nothing for them at start either.
    """
    if not os.environ.get(ENDPOINT_ENV):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or service
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    log.info("exporting traces over OTLP", extra={"endpoint": os.environ[ENDPOINT_ENV]})
    return True


def tracer() -> trace.Tracer:
    """The project's tracer (the SDK's when :func:`configure` set one up, else the API's no-op)."""
    return trace.get_tracer(TRACER_NAME)


def context_from(headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes] | None) -> Context:
    """The trace context Kafka record headers carry (``traceparent``, ``tracestate``); empty when none.

    ``headers`` as aiokafka and Faust give them: (name, bytes) pairs, or a mapping of them.
    """
    if not headers:
        return Context()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    carrier = {name: value.decode("latin-1") for name, value in pairs if name in FIELDS}
    return propagate.extract(carrier) if carrier else Context()


def kafka_headers(context: Context | None = None) -> list[tuple[str, bytes]]:
    """The record headers that carry ``context`` (default: the current one); empty when it has no trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=context)
    return [(name, value.encode("latin-1")) for name, value in carrier.items()]


def request_context(headers: Mapping[str, str]) -> Context:
    """The trace an HTTP request belongs to: the current span's (FastAPI's server span when the SDK
    records), else the ``traceparent`` it came with, else a new trace started here.

    A new trace without the SDK is a random 128-bit trace id and 64-bit span id, sampled, as the
    W3C Trace Context recommends; downstream services continue it like any other.
    """
    if trace.get_current_span().get_span_context().is_valid:
        return otel_context.get_current()
    incoming = propagate.extract(headers)
    if trace.get_current_span(incoming).get_span_context().is_valid:
        return incoming
    root = SpanContext(
        trace_id=random.getrandbits(128) or 1,
        span_id=random.getrandbits(64) or 1,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(NonRecordingSpan(root))


def trace_id_of(headers: Iterable[tuple[str, bytes]] | None) -> str | None:
    """The 32-hex-digit trace id the record headers carry, if any."""
    span_context = trace.get_current_span(context_from(headers)).get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None
