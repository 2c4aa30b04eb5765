"""Find a Java 21+ runtime: the registry's classes target Java 21, the system default may be older."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from infra.local_registry.exceptions import LocalRegistryError

MIN_JAVA = 21
ENV_JAVA_HOME = "SHOPSTREAM_LOCAL_REGISTRY_JAVA_HOME"
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


def _candidates() -> list[Path]:
    """Return Java homes in order of preference: env overrides, the java on PATH, then /usr/lib/jvm."""
    homes = [Path(raw) for name in (ENV_JAVA_HOME, "JAVA_HOME") if (raw := os.environ.get(name, "").strip())]
    on_path = shutil.which("java")
    if on_path:
        homes.append(Path(on_path).resolve().parents[1])
    installed = [p for p in JVM_ROOT.glob("*") if p.is_dir() and not p.is_symlink()]
    homes.extend(sorted(installed, key=lambda p: java_major(p) or 0, reverse=True))
    return homes


def java_executable() -> str:
    """Return the ``java`` binary of the first Java 21+ home found; raise if there is none."""
    explicit = os.environ.get(ENV_JAVA_HOME, "").strip()
    if explicit and (java_major(Path(explicit)) or 0) < MIN_JAVA:
        raise LocalRegistryError(f"{ENV_JAVA_HOME}={explicit} is not a Java {MIN_JAVA}+ home")
    seen: list[str] = []
    for home in _candidates():
        major = java_major(home)
        if major is not None and major >= MIN_JAVA:
            return str(home / "bin" / "java")
        seen.append(f"{home} ({major or '?'})")
    raise LocalRegistryError(
        f"Apicurio Registry needs Java {MIN_JAVA}+; none found among {', '.join(seen) or 'nothing'} "
        f"(set {ENV_JAVA_HOME} or JAVA_HOME)"
    )
