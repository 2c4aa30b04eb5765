"""The HTTP anchor: a minimal Starlette app served the way our services are (uvicorn, uvloop, httptools).

``python -m bench.anchors.starlette_app --port P`` serves it on 127.0.0.1 until stopped:
``GET /v1/orders/{order_id}`` answers a constant JSON view, ``POST /v1/orders`` reads the body and
answers 202 with a constant JSON, ``GET /readyz`` says it is up. No validation, no Kafka, no
middleware: what the framework and server cost alone, on this machine, in the same run.
:class:`StarletteAnchor` runs it as a subprocess for the bench sections.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from typing import Any

import httpx

from bench.common import LOOPBACK, free_port

VIEW = {"order_id": "o-1", "state": "CREATED", "total_cents": 5099}


def app() -> Any:
    """The minimal Starlette app."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def order(_: Request) -> JSONResponse:
        return JSONResponse(VIEW)

    async def place(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"order_id": "o-1"}, status_code=202)

    async def ready(_: Request) -> JSONResponse:
        return JSONResponse({"ready": True})

    return Starlette(
        routes=[
            Route("/v1/orders/{order_id}", order),
            Route("/v1/orders", place, methods=["POST"]),
            Route("/readyz", ready),
        ]
    )


class StarletteAnchor:
    """The anchor app in its own process on a free loopback port, stopped on exit."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> StarletteAnchor:
        argv = [sys.executable, "-m", "bench.anchors.starlette_app", "--port", str(self.port)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - this interpreter, our own module
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"anchor server exited {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("anchor server not ready in 30 s")

    def __exit__(self, *_: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main() -> None:
    """Serve the anchor on 127.0.0.1:--port (uvicorn on uvloop, no access log)."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.anchors.starlette_app")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app(), host=LOOPBACK, port=args.port, log_config=None, loop="uvloop", access_log=False)


if __name__ == "__main__":
    main()
