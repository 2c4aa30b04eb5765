"""Local Apicurio Registry 3.x (Confluent-compatible schema registry API) from Maven Central."""

from infra.local_registry.exceptions import LocalRegistryError
from infra.local_registry.launcher import (
    CCOMPAT_PATH,
    RegistryStatus,
    assemble,
    base_url,
    start,
    status,
    stop,
)

__all__ = [
    "CCOMPAT_PATH",
    "LocalRegistryError",
    "RegistryStatus",
    "assemble",
    "base_url",
    "start",
    "status",
    "stop",
]
