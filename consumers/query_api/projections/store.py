"""Where a read model keeps its views: memory (default) or RocksDB on disk for large data.

Views are rebuilt from Kafka at every start, so the disk store is a cache of the topic, wiped
when query-api starts; it trades some latency for memory that does not grow with the data.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import TypeVar

import orjson
from rocksdict import Rdict

#: a view: a JSON object of a shape its read model names (a TypedDict)
ViewT = TypeVar("ViewT", bound=Mapping[str, object])


class DiskViews(MutableMapping[str, ViewT]):
    """A str → JSON-object mapping in a RocksDB folder (emptied when opened)."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        self._db = Rdict(str(folder))
        self._count = 0

    def __getitem__(self, key: str) -> ViewT:
        raw = self._db.get(key.encode())
        if raw is None:
            raise KeyError(key)
        value: ViewT = orjson.loads(raw)  # what __setitem__ wrote
        return value

    def __setitem__(self, key: str, value: ViewT) -> None:
        if key.encode() not in self._db:
            self._count += 1
        self._db[key.encode()] = orjson.dumps(value)

    def __delitem__(self, key: str) -> None:
        if key.encode() not in self._db:
            raise KeyError(key)
        del self._db[key.encode()]
        self._count -= 1

    def __iter__(self) -> Iterator[str]:
        return (k.decode() if isinstance(k, bytes) else str(k) for k in self._db.keys())

    def __len__(self) -> int:
        return self._count

    def close(self) -> None:
        """Flush and close the database."""
        self._db.close()


def open_views(kind: str, folder: Path) -> MutableMapping[str, ViewT]:
    """A store of views: ``memory`` (a dict) or ``rocksdb`` (in ``folder``)."""
    if kind == "rocksdb":
        return DiskViews(folder)
    return {}
