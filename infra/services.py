"""Every runnable service of the system, in one list used by ``make up`` and the e2e tests."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

READY_PATH = "/readyz"  # 200 once the service's dependencies answer (HTTP services and processors alike)


@dataclass(frozen=True, slots=True)
class Service:
    """How to start one service and where it answers health checks."""

    name: str
    module: str
    port_env: str
    default_port: int
    args: tuple[str, ...] = ()
    http_api: bool = False

    @property
    def host_env(self) -> str:
        """The variable naming the address it binds (``INGEST_PORT`` → ``INGEST_HOST``)."""
        return self.port_env.removesuffix("PORT") + "HOST"

    def base_url(self, env: Mapping[str, str]) -> str:
        """Where it answers on this machine, on the port its settings read from ``env``."""
        port = env.get(self.port_env) or str(self.default_port)
        return f"http://127.0.0.1:{int(port)}"

    def ready_url(self, env: Mapping[str, str]) -> str:
        """Its readiness page, on the port its settings read from ``env``."""
        return self.base_url(env) + READY_PATH

    def argv(self, python: str = sys.executable) -> list[str]:
        """The command line, with this interpreter (or ``python``, as a container runs it)."""
        return [python, "-m", self.module, *self.args]


def by_module(module: str) -> Service | None:
    """The service started as ``python -m module``, if any."""
    return next((s for s in SERVICES if s.module == module), None)


SERVICES: tuple[Service, ...] = (
    Service("ingest-api", "producers.ingest_api", "INGEST_PORT", 8000, http_api=True),
    Service("query-api", "consumers.query_api", "QUERY_PORT", 8001, http_api=True),
    Service("orders", "stream_processors.orders", "ORDERS_WEB_PORT", 8101, ("worker",)),
    Service("order-details", "stream_processors.order_details", "DETAILS_WEB_PORT", 8102, ("worker",)),
    Service("inventory", "stream_processors.inventory", "INVENTORY_WEB_PORT", 8103, ("worker",)),
    Service("fraud", "stream_processors.fraud", "FRAUD_WEB_PORT", 8104, ("worker",)),
    Service("notifications", "stream_processors.notifications", "NOTIFY_WEB_PORT", 8105, ("worker",)),
    Service("analytics", "stream_processors.analytics", "ANALYTICS_WEB_PORT", 8106, ("worker",)),
)
