"""A directory Maven assembles from a pom.xml, stamped with the pom's sha256: redone only when it changes.

Maven writes into ``<target>.staging``; the stamp is written last and the staging directory then
takes the target's place, so an interrupted assembly never passes for a complete one.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from schemas.exceptions import ShopStreamError

log = logging.getLogger(__name__)

STAMP_NAME = ".assembled"
MAVEN_TIMEOUT_S = 1800
MAVEN_OUTPUT_LINES = 30


@dataclass(frozen=True)
class MavenAssembly:
    """What Maven assembles where.

    ``goal``: the Maven goal and its options (``-DoutputDirectory`` is added); ``landmark``: a glob
    matching at least one file of a complete assembly; ``scratch``: a directory Maven works in,
    deleted before and after; ``what``: its name in messages; ``error``: the exception type raised.
    """

    what: str
    pom: Path
    target: Path
    goal: tuple[str, ...]
    landmark: str
    error: type[ShopStreamError]
    scratch: Path | None = None

    def pom_digest(self) -> str:
        """Return the sha256 (hex) of the pom, which keys the assembled directory."""
        return hashlib.sha256(self.pom.read_bytes()).hexdigest()

    def landed(self, directory: Path) -> bool:
        """Whether ``directory`` holds the landmark of a complete assembly."""
        return any(directory.glob(self.landmark))


def is_current(assembly: MavenAssembly) -> bool:
    """Return True when the target was assembled from the pom as it is now."""
    stamp = assembly.target / STAMP_NAME
    if not stamp.is_file() or not assembly.landed(assembly.target):
        return False
    return stamp.read_text(encoding="utf-8").strip() == assembly.pom_digest()


def _run_maven(assembly: MavenAssembly, output_dir: Path) -> None:
    """Run the assembly's goal into ``output_dir``; raise its error quoting Maven's last lines."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise assembly.error(f"Maven ('mvn') is not on PATH; it is needed to fetch {assembly.what}")
    cmd = [mvn, "-q", "-B", "-f", str(assembly.pom), *assembly.goal, f"-DoutputDirectory={output_dir}"]
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            cmd, capture_output=True, text=True, check=False, timeout=MAVEN_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise assembly.error(f"could not run Maven: {exc}") from exc
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-MAVEN_OUTPUT_LINES:])
        raise assembly.error(f"Maven exited with {result.returncode}:\n{tail}")


def assemble(assembly: MavenAssembly, force: bool = False) -> Path:
    """Assemble the target unless it is current (or ``force``); return it.

    Raises ``assembly.error`` when Maven is missing, fails, times out (30 min) or leaves no landmark.
    """
    target = assembly.target
    if not force and is_current(assembly):
        return target
    log.info("assembling %s into %s (Maven)", assembly.what, target)
    staging = target.with_name(target.name + ".staging")
    for scratch in (staging, assembly.scratch):
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    try:
        _run_maven(assembly, staging)
    finally:
        if assembly.scratch is not None:
            shutil.rmtree(assembly.scratch, ignore_errors=True)
    if not assembly.landed(staging):
        raise assembly.error(f"Maven succeeded but no {assembly.landmark} landed in {staging}")
    (staging / STAMP_NAME).write_text(assembly.pom_digest() + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target
