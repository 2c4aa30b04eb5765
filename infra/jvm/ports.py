"""TCP ports on the loopback address: does something listen there, could a JVM bind it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable

from infra.jvm.layout import HOST

POLL_S = 0.1


def port_open(port: int, timeout: float = 0.5) -> bool:
    """Return True if something accepts TCP connections on ``HOST:port`` within ``timeout`` seconds."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def bindable(port: int) -> bool:
    """Whether a listening socket could bind ``HOST:port`` now (as the JVM does, with SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_closed(ports: Iterable[int], wait_s: float) -> bool:
    """Return True once none of ``ports`` accepts connections, False if one still does after ``wait_s`` s."""
    wanted = list(ports)
    deadline = time.monotonic() + wait_s
    while any(port_open(port) for port in wanted):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return True
