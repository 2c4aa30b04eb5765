"""Unpack the Apicurio Registry distribution from Maven Central with ``mvn dependency:unpack``."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
from pathlib import Path

from infra.local_registry import procs
from infra.local_registry.exceptions import LocalRegistryError
from infra.local_registry.layout import POM_FILE, app_dir, registry_dir, registry_spec
from infra.local_registry.locking import exclusive

log = logging.getLogger(__name__)

STAMP_NAME = ".assembled"
LAUNCHER_JAR = "quarkus-run.jar"
MAVEN_TIMEOUT_S = 1800


def _pom_digest() -> str:
    """Return the sha256 of pom.xml, which keys the unpacked distribution."""
    return hashlib.sha256(POM_FILE.read_bytes()).hexdigest()


def is_assembled(app: Path | None = None) -> bool:
    """Return True when the distribution was unpacked from the current pom.xml."""
    app = app or app_dir()
    stamp = app / STAMP_NAME
    if not stamp.is_file() or not (app / LAUNCHER_JAR).is_file():
        return False
    return stamp.read_text(encoding="utf-8").strip() == _pom_digest()


def _run_maven(output_dir: Path, work_dir: Path) -> None:
    """Unpack the pom's distribution archive into output_dir, raising on failure."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalRegistryError("Maven ('mvn') is not on PATH; it is needed to fetch Apicurio Registry")
    cmd = [
        mvn, "-q", "-B", "--strict-checksums", "-f", str(POM_FILE), "dependency:unpack",
        f"-DoutputDirectory={output_dir}", f"-Dregistry.work.dir={work_dir}",
    ]  # fmt: skip
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            cmd, capture_output=True, text=True, check=False, timeout=MAVEN_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LocalRegistryError(f"could not run Maven: {exc}") from exc
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-30:])
        raise LocalRegistryError(f"Maven exited with {result.returncode}:\n{tail}")


def assemble(force: bool = False) -> Path:
    """Populate ``<local>/registry/quarkus-app`` (skipped when already current); return it."""
    with exclusive():
        app = app_dir()
        if not force and is_assembled(app):
            return app
        pid = procs.live_pid(registry_spec()) or procs.any_running()  # the dev registry or a test session's
        if pid is not None:
            raise LocalRegistryError(f"the registry runs from {app} (pid {pid}); stop it before assembling")
        log.info("assembling Apicurio Registry into %s (Maven)", app)
        staging = app.with_name(app.name + ".staging")
        work = registry_dir() / "maven"
        for scratch in (staging, work):
            shutil.rmtree(scratch, ignore_errors=True)
        staging.parent.mkdir(parents=True, exist_ok=True)
        try:
            _run_maven(staging, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if not (staging / LAUNCHER_JAR).is_file():
            raise LocalRegistryError(f"Maven succeeded but no {LAUNCHER_JAR} landed in {staging}")
        (staging / STAMP_NAME).write_text(_pom_digest() + "\n", encoding="utf-8")
        shutil.rmtree(app, ignore_errors=True)
        staging.rename(app)
        return app
