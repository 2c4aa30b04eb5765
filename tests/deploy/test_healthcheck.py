"""infra/healthcheck.py: the image's HEALTHCHECK finds the service PID 1 runs and asks its /healthz."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from infra.healthcheck import check, health_url, service_of
from infra.services import SERVICES


class Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # the http.server hook
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def healthz_port() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_service_is_found_from_its_command_line() -> None:
    for service in SERVICES:
        assert service_of(service.argv(python="/opt/venv/bin/python")) == service
    assert service_of(["python", "-m", "infra.topics"]) is None
    assert service_of(["python"]) is None


def test_url_follows_the_port_setting() -> None:
    orders = next(s for s in SERVICES if s.name == "orders")
    assert health_url(orders, {}) == "http://127.0.0.1:8101/healthz"
    assert health_url(orders, {"ORDERS_WEB_PORT": "9101"}) == "http://127.0.0.1:9101/healthz"


def test_check_asks_the_running_service(healthz_port: int) -> None:
    ingest = SERVICES[0]
    assert check(ingest.argv(), {ingest.port_env: str(healthz_port)}) is True
    assert check(["python", "-m", "infra.topics"], {}) is True


def test_check_fails_when_nothing_answers(healthz_port: int) -> None:
    query = SERVICES[1]
    with socket_closed() as port:
        assert check(query.argv(), {query.port_env: str(port)}) is False


class socket_closed:  # lower case: used as a context manager
    """A port nothing listens on."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None
