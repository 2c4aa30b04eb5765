"""``python -m infra.healthcheck``: the container image's HEALTHCHECK, for whichever service it runs.

The image runs any service by its command, so the check reads PID 1's command line, finds the
service of ``infra.services`` it starts and asks its ``/healthz`` on its configured port. A container
running something else (the topic-creation one-shot) has nothing to check and counts as healthy.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from infra.services import Service, by_module

TIMEOUT_S = 2.0


def service_of(argv: Sequence[str]) -> Service | None:
    """The service a ``python -m <module> …`` command line starts, if any."""
    for index, arg in enumerate(argv[:-1]):
        if arg == "-m":
            return by_module(argv[index + 1])
    return None


def health_url(service: Service, env: Mapping[str, str]) -> str:
    """Where ``service`` answers liveness, on the port its settings read from ``env``."""
    port = env.get(service.port_env) or str(service.default_port)
    return f"http://127.0.0.1:{int(port)}/healthz"


def pid1_argv() -> list[str]:
    """The command line of the container's main process."""
    raw = Path("/proc/1/cmdline").read_bytes()
    return [part.decode() for part in raw.split(b"\0") if part]


def check(argv: Sequence[str], env: Mapping[str, str]) -> bool:
    """True when the service started by ``argv`` answers 200 on ``/healthz`` (or there is none)."""
    service = service_of(argv)
    if service is None:
        return True
    try:
        with urllib.request.urlopen(health_url(service, env), timeout=TIMEOUT_S) as answer:  # noqa: S310 - http to localhost only
            return int(answer.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    """Exit 0 when healthy, 1 otherwise (Docker's HEALTHCHECK contract)."""
    return 0 if check(pid1_argv(), os.environ) else 1


if __name__ == "__main__":
    sys.exit(main())
