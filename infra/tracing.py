"""W3C trace context from the HTTP request to the notification, carried in Kafka record headers (SPEC §5).

Every service calls :func:`configure` once at start. With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans
are recorded by the OpenTelemetry SDK and exported over OTLP/HTTP (the exporter reads the standard
``OTEL_EXPORTER_OTLP_*`` and ``OTEL_SERVICE_NAME`` variables). Without it nothing is recorded: the
record's ``traceparent`` (and ``tracestate``) is copied, as it came, onto everything written
because of it (:func:`forwarded`: a pattern check of one header, no context objects; parsing into
an OpenTelemetry context and injecting it again cost ~10 µs per record, 8 % of a processor hop in
``make bench``), and an HTTP request without one starts a new trace id.

The helpers here are the only place that turns headers into a context and back:
:func:`context_from` (Kafka record headers → context), :func:`kafka_headers` (context → the
headers to write), :func:`request_context` (an HTTP request's context, a new trace if it has none),
and for the services: :class:`Processing` (around each record a processor applies; its headers
are :func:`current_headers` meanwhile) and :func:`request_headers` (what an HTTP request's records
carry).
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from schemas.trace_context import FIELDS, TRACEPARENT

log = logging.getLogger(__name__)
ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
TRACER_NAME = "shopstream"

KafkaHeaders = Sequence[tuple[str, bytes]]  # (name, value) pairs, as aiokafka and Faust take them
_exporting = False  # set by configure()
#: the trace headers of the record being processed (set by Processing), for writes deep in a handler
_CURRENT: ContextVar[KafkaHeaders] = ContextVar("shopstream_trace_headers", default=())


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
    global _exporting  # one switch per process, set once at start
    _exporting = True
    log.info("exporting traces over OTLP", extra={"endpoint": os.environ[ENDPOINT_ENV]})
    return True


def instrument_http(app: Any) -> bool:
    """Give every request of a FastAPI ``app`` a server span, when spans are exported; returns whether.

    OpenTelemetry's FastAPI instrumentation (an ASGI middleware) costs tens of µs per request even
    with nothing recorded, so without an exporter it is left out and :func:`request_headers`
    forwards the request's ``traceparent`` itself. Health checks and ``/metrics`` get no span.
    """
    if not _exporting:
        return False
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
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


def forwarded(headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes] | None) -> list[tuple[str, bytes]]:
    """A record's W3C trace headers as they came: a well-formed ``traceparent`` and its ``tracestate``;
    none when the ``traceparent`` is missing or malformed (W3C Trace Context §3.2: then the
    ``tracestate`` goes too).
    """
    if not headers:
        return []
    parent = state = None
    for name, value in headers.items() if isinstance(headers, Mapping) else headers:
        if name == "traceparent":
            parent = value
        elif name == "tracestate":
            state = value
    if parent is None or not TRACEPARENT.fullmatch(parent):
        return []
    return [("traceparent", parent), ("tracestate", state)] if state else [("traceparent", parent)]


def request_headers(headers: Mapping[str, str]) -> list[tuple[str, bytes]]:
    """The Kafka headers carrying an HTTP request's trace (SPEC §5): its own ``traceparent`` continued,
    else a new trace (random 128-bit trace id and 64-bit parent id, sampled). With spans exported,
    the trace of FastAPI's server span (:func:`request_context`).
    """
    if _exporting:
        return kafka_headers(request_context(headers))
    incoming = [(name, headers[name].encode("latin-1")) for name in FIELDS if name in headers]
    new = f"00-{random.getrandbits(128) or 1:032x}-{random.getrandbits(64) or 1:016x}-01"
    return forwarded(incoming) or [("traceparent", new.encode())]


def current_headers() -> KafkaHeaders:
    """The trace headers of the record being processed (:class:`Processing`); none outside one."""
    return _CURRENT.get()


class Processing:
    """Around applying one record: ``with Processing(topic, headers) as written: ...``.

    ``written`` are the trace headers of everything written because of the record (also
    :func:`current_headers` until the block ends): its own forwarded as they came, or, with spans
    exported, those of a ``<topic> process`` consumer span, child of the record's context.
    """

    __slots__ = ("_headers", "_span", "_token", "_topic")

    def __init__(self, topic: str, headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes] | None) -> None:
        self._topic = topic
        self._headers = headers
        self._span: AbstractContextManager[trace.Span] | None = None
        self._token: Token[KafkaHeaders] | None = None

    def __enter__(self) -> KafkaHeaders:
        if _exporting:
            self._span = tracer().start_as_current_span(
                f"{self._topic} process", context=context_from(self._headers), kind=SpanKind.CONSUMER
            )
            self._span.__enter__()
            written: KafkaHeaders = kafka_headers()
        else:
            written = forwarded(self._headers)
        self._token = _CURRENT.set(written)
        return written

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is not None:
            _CURRENT.reset(self._token)
        if self._span is not None:
            self._span.__exit__(kind, exc, tb)
