"""Where the local JVM tools keep their state, the address they listen on, ports from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from schemas.exceptions import ShopStreamError

HOST = "127.0.0.1"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOWEST_PORT = 1024
HIGHEST_PORT = 65535


def local_dir() -> Path:
    """Return the base state directory (``SHOPSTREAM_LOCAL_DIR``, default ``<project>/.local``)."""
    raw = os.environ.get("SHOPSTREAM_LOCAL_DIR")
    return Path(raw).expanduser().resolve() if raw else PROJECT_ROOT / ".local"


def env_optional_port(name: str, error: type[ShopStreamError], highest: int = HIGHEST_PORT) -> int | None:
    """Return the port in the environment variable ``name``, None when it is unset or empty.

    Raises ``error`` when the value is not a whole number in ``1024..highest``.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        port = int(raw)
    except ValueError as exc:
        raise error(f"{name}={raw!r} is not a port number") from exc
    if not LOWEST_PORT <= port <= highest:
        raise error(f"{name}={port} is outside {LOWEST_PORT}..{highest}")
    return port


def env_port(name: str, default: int, error: type[ShopStreamError], highest: int = HIGHEST_PORT) -> int:
    """Return the port in the environment variable ``name``, else ``default``; raises as
    :func:`env_optional_port` does."""
    port = env_optional_port(name, error, highest)
    return default if port is None else port
