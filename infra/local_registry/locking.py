"""The lock serialising assemble/start/stop of the local registry (``<local>/registry/.lock``)."""

from infra.local_registry.layout import registry_dir
from infra.locking import FileLock

exclusive = FileLock(lambda: registry_dir() / ".lock")
