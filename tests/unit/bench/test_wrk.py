"""The bench's wrk scripts against the minimal Starlette anchor: every request counted by status.

Not a measurement (timings belong in ``make bench``): a one-second run checks that the Lua
scripts build valid requests (POST bodies that vary, GETs over an ids file) and that
``bench.wrk.load`` reads wrk's result line back, statuses and all.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench import wrk
from bench.anchors.starlette_app import StarletteAnchor

pytestmark = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (make test installs it: make load-generator)"
)


@pytest.fixture(scope="module")
def anchor() -> Iterator[StarletteAnchor]:
    with StarletteAnchor() as running:
        yield running


def test_post_order_script_sends_json_orders_each_answered_202(anchor: StarletteAnchor) -> None:
    result = wrk.load(anchor.url, "post_order.lua", ["t"], connections=2, seconds=1, ok_status=202)
    assert result["requests"] > 0
    assert result["statuses"] == {"202": result["requests"]}
    assert result["ok"] == result["requests"]
    assert result["socket_errors"] == {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]


def test_get_orders_script_walks_the_ids_file(anchor: StarletteAnchor, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("a\nb\nc\n")
    result = wrk.load(anchor.url, "get_orders.lua", [str(ids)], connections=2, seconds=1, ok_status=200)
    assert result["statuses"] == {"200": result["requests"]}


def test_statuses_other_than_the_expected_one_are_not_ok(anchor: StarletteAnchor) -> None:
    result = wrk.load(anchor.url, "get_path.lua", ["/nowhere"], connections=2, seconds=1, ok_status=200)
    assert result["statuses"] == {"404": result["requests"]}
    assert (result["ok"], result["ok_per_s"]) == (0, 0.0)


def test_the_batch_script_posts_the_orders_it_names() -> None:
    """post_batch.lua's bodies, as a server receives them: the asked number of new orders each."""
    bodies: list[bytes] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's naming
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        result = wrk.load(url, "post_batch.lua", ["t", "3"], connections=2, seconds=1, ok_status=202)
    finally:
        server.shutdown()
        server.server_close()
    assert result["ok"] == result["requests"] > 0
    orders = [order for body in bodies for order in json.loads(body)["orders"]]
    assert len(orders) == 3 * len(bodies)
    ids = [order["order_id"] for order in orders]
    assert len(set(ids)) == len(ids)  # every order new
    assert {len(order["items"]) for order in orders} == {3}
