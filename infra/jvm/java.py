"""Find a ``java`` of at least a given feature version: the system default may be older than a tool needs."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from schemas.exceptions import ShopStreamError

JVM_ROOT = Path("/usr/lib/jvm")
_VERSION_RE = re.compile(r'^JAVA_VERSION="(\d+)', re.MULTILINE)


def java_major(home: Path) -> int | None:
    """Return the feature version of the JDK/JRE at home (from its ``release`` file), else None."""
    try:
        text = (home / "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = _VERSION_RE.search(text)
    if match is None or not (home / "bin" / "java").is_file():
        return None
    major = int(match.group(1))
    return 8 if major == 1 else major  # JAVA_VERSION="1.8.0_x"


def _candidates(home_env: str | None) -> Iterator[Path]:
    """Yield Java homes in order of preference: ``home_env``, JAVA_HOME, the java on PATH, /usr/lib/jvm."""
    for name in (home_env, "JAVA_HOME"):
        if name and (raw := os.environ.get(name, "").strip()):
            yield Path(raw)
    on_path = shutil.which("java")
    if on_path:
        yield Path(on_path).resolve().parents[1]
    installed = [p for p in JVM_ROOT.glob("*") if p.is_dir() and not p.is_symlink()]
    yield from sorted(installed, key=lambda p: java_major(p) or 0, reverse=True)


def find_java(minimum: int, needed_by: str, error: type[ShopStreamError], home_env: str | None = None) -> str:
    """Return the ``java`` binary of the first Java ``minimum``+ home found (see :func:`_candidates`).

    Raises ``error`` when ``home_env`` names an older (or no) Java home, or no home is recent enough.
    """
    explicit = os.environ.get(home_env, "").strip() if home_env else ""
    if explicit and (java_major(Path(explicit)) or 0) < minimum:
        raise error(f"{home_env}={explicit} is not a Java {minimum}+ home")
    seen: list[str] = []
    for home in _candidates(home_env):
        major = java_major(home)
        if major is not None and major >= minimum:
            return str(home / "bin" / "java")
        seen.append(f"{home} ({major or '?'})")
    settings = f"{home_env} or JAVA_HOME" if home_env else "JAVA_HOME"
    raise error(
        f"{needed_by} needs Java {minimum}+; none found among {', '.join(seen) or 'nothing'} (set {settings})"
    )
