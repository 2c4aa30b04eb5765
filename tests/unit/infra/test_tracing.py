"""infra.tracing: trace context from headers and back, a new trace for a request without one, and
spans exported over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (in a subprocess, since
OpenTelemetry's tracer provider is set once per process).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from infra import tracing
from schemas.trace_context import trace_id

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


def test_kafka_headers_hand_on_the_context_they_came_with() -> None:
    incoming = [("traceparent", TRACEPARENT.encode()), ("tracestate", b"vendor=1"), ("other", b"x")]
    assert tracing.kafka_headers(tracing.context_from(incoming)) == [
        ("traceparent", TRACEPARENT.encode()),
        ("tracestate", b"vendor=1"),
    ]
    assert trace_id(incoming) == TRACE_ID


def test_records_without_trace_context_get_no_headers() -> None:
    assert tracing.kafka_headers(tracing.context_from([("other", b"x")])) == []
    assert tracing.kafka_headers(tracing.context_from(None)) == []
    assert trace_id([("traceparent", b"not a traceparent")]) is None


def test_a_request_continues_its_traceparent_or_starts_a_trace() -> None:
    continued = tracing.kafka_headers(tracing.request_context({"traceparent": TRACEPARENT}))
    assert continued == [("traceparent", TRACEPARENT.encode())]
    started = [trace_id(tracing.kafka_headers(tracing.request_context({}))) for _ in range(2)]
    assert all(t is not None and len(t) == 32 for t in started)
    assert started[0] != started[1]


def test_without_an_exporter_a_record_s_trace_headers_are_forwarded_as_they_came() -> None:
    incoming = [("other", b"x"), ("tracestate", b"vendor=1"), ("traceparent", TRACEPARENT.encode())]
    assert tracing.forwarded(incoming) == [("traceparent", TRACEPARENT.encode()), ("tracestate", b"vendor=1")]
    assert tracing.forwarded({"traceparent": TRACEPARENT.encode()}) == [("traceparent", TRACEPARENT.encode())]
    with tracing.Processing("p.orders", incoming) as written:
        assert written == tracing.forwarded(incoming)
        assert tracing.current_headers() == written
    assert tracing.current_headers() == ()


def test_a_malformed_traceparent_is_not_forwarded_nor_its_tracestate() -> None:
    for bad in (
        "ff-" + TRACEPARENT[3:],  # version ff is invalid
        f"00-{'0' * 32}-b7ad6b7169203331-01",  # all-zero trace id
        f"00-{TRACE_ID}-{'0' * 16}-01",  # all-zero parent id
        TRACEPARENT.upper(),
        TRACEPARENT + "-extra",
        "not a traceparent",
    ):
        assert tracing.forwarded([("traceparent", bad.encode()), ("tracestate", b"v=1")]) == [], bad
    assert tracing.forwarded([("tracestate", b"v=1")]) == []
    assert tracing.forwarded(None) == []


def test_a_request_s_records_continue_its_traceparent_or_a_new_trace() -> None:
    assert tracing.request_headers({"traceparent": TRACEPARENT, "tracestate": "v=1"}) == [
        ("traceparent", TRACEPARENT.encode()),
        ("tracestate", b"v=1"),
    ]
    started = [tracing.request_headers({"traceparent": "garbage"}) for _ in range(2)]
    ids = [trace_id(headers) for headers in started]
    assert all(t is not None and len(t) == 32 for t in ids) and ids[0] != ids[1]
    assert [len(headers) for headers in started] == [1, 1]


class Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint that keeps the bodies posted to /v1/traces."""

    bodies: list[bytes] = []

    def do_POST(self) -> None:  # http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/traces":
            Collector.bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def exported(script: str) -> tuple[str, bytes]:
    """Run ``script`` in a process of its own exporting to a local collector: what it printed (a
    ``traceparent``, checked for the incoming trace id) and every body posted to ``/v1/traces``."""
    Collector.bodies.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done = subprocess.run(  # noqa: S603 - this interpreter, a script of ours
            [sys.executable, "-c", textwrap.dedent(script)],
            env={"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_address[1]}", "PATH": ""},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    version, trace_id, span_id, flags = done.stdout.strip().split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    assert span_id != "b7ad6b7169203331"  # a span of its own: a child of the incoming one
    return span_id, b"".join(Collector.bodies)


def test_spans_go_over_otlp_when_an_endpoint_is_set_and_outputs_name_the_processing_span() -> None:
    span_id, body = exported(
        f"""
        from opentelemetry import trace
        from infra import tracing
        assert tracing.configure("test-service")
        with tracing.Processing("orders", [("traceparent", b"{TRACEPARENT}")]) as written:
            assert tracing.current_headers() == written
            print(written[0][1].decode())
        trace.get_tracer_provider().shutdown()  # flushes the batch to the endpoint
        """
    )
    assert bytes.fromhex(TRACE_ID) in body and bytes.fromhex(span_id) in body
    assert b"test-service" in body and b"orders process" in body


def test_with_an_exporter_a_request_gets_a_server_span_and_its_records_carry_it() -> None:
    span_id, body = exported(
        f"""
        from fastapi import FastAPI, Request
        from fastapi.testclient import TestClient
        from opentelemetry import trace
        from infra import tracing
        assert tracing.configure("test-api")
        app = FastAPI()
        assert tracing.instrument_http(app)

        @app.post("/v1/orders")
        async def post(request: Request) -> str:
            return tracing.request_headers(request.headers)[0][1].decode()

        with TestClient(app) as client:
            print(client.post("/v1/orders", headers={{"traceparent": "{TRACEPARENT}"}}).json())
        trace.get_tracer_provider().shutdown()
        """
    )
    assert bytes.fromhex(span_id) in body and b"test-api" in body and b"POST /v1/orders" in body


def test_without_an_exporter_no_middleware_is_added() -> None:
    from fastapi import FastAPI

    app = FastAPI()
    assert not tracing.instrument_http(app)
    assert app.user_middleware == []
