"""Processors' local table state, cleared with the local broker's data: no store outlives its changelog.

Each processor worker keeps its Faust data under ``PROCESSOR_DATA_DIR`` (default ``.local/faust``)
in a directory of its own, ``<topic prefix><service>-<web port>``, holding Faust's ``v<version>/``
(RocksDB tables in ``v<version>/tables``). Only such directories are deleted, so a data dir set to
a folder with other things in it loses nothing else.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

_FAUST_APP_DIR = re.compile(r"v\d+")


def worker_dirs(root: Path) -> list[Path]:
    """The processor workers' directories directly under ``root`` (those holding a Faust ``v<N>/``)."""
    if not root.is_dir():
        return []
    return sorted(
        path
        for path in root.iterdir()
        if path.is_dir()
        and not path.is_symlink()
        and any(sub.is_dir() and _FAUST_APP_DIR.fullmatch(sub.name) for sub in path.iterdir())
    )


def clear(root: Path) -> list[Path]:
    """Delete every processor worker's state under ``root``; the directories deleted."""
    found = worker_dirs(root)
    for path in found:
        shutil.rmtree(path)
    return found
