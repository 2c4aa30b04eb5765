"""Assemble the Kafka runtime classpath from Maven Central with ``mvn dependency:copy-dependencies``."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
from pathlib import Path

from infra.local_kafka.exceptions import LocalKafkaError
from infra.local_kafka.layout import POM_FILE, lib_dir

log = logging.getLogger(__name__)

STAMP_NAME = ".assembled"
MAVEN_TIMEOUT_S = 1800


def _pom_digest() -> str:
    """Return the sha256 of pom.xml, which keys the assembled lib dir."""
    return hashlib.sha256(POM_FILE.read_bytes()).hexdigest()


def is_assembled(lib: Path | None = None) -> bool:
    """Return True when the lib dir was assembled from the current pom.xml."""
    lib = lib or lib_dir()
    stamp = lib / STAMP_NAME
    if not stamp.is_file() or not any(lib.glob("kafka_2.13-*.jar")):
        return False
    return stamp.read_text(encoding="utf-8").strip() == _pom_digest()


def _run_maven(output_dir: Path) -> None:
    """Copy the pom's runtime dependencies into output_dir, raising on failure."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalKafkaError("Maven ('mvn') is not on PATH; it is needed to fetch the Kafka jars")
    cmd = [
        mvn, "-q", "-B", "-f", str(POM_FILE), "dependency:copy-dependencies",
        f"-DoutputDirectory={output_dir}", "-DincludeScope=runtime",
    ]  # fmt: skip
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            cmd, capture_output=True, text=True, check=False, timeout=MAVEN_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LocalKafkaError(f"could not run Maven: {exc}") from exc
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-30:])
        raise LocalKafkaError(f"Maven exited with {result.returncode}:\n{tail}")


def assemble(force: bool = False) -> Path:
    """Populate ``<local>/kafka/lib`` with the Kafka jars (skipped when already current); return it."""
    lib = lib_dir()
    if not force and is_assembled(lib):
        return lib
    log.info("assembling Kafka classpath into %s (Maven)", lib)
    staging = lib.with_name(lib.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    _run_maven(staging)
    if not any(staging.glob("kafka_2.13-*.jar")):
        raise LocalKafkaError(f"Maven succeeded but no kafka_2.13 jar landed in {staging}")
    (staging / STAMP_NAME).write_text(_pom_digest() + "\n", encoding="utf-8")
    shutil.rmtree(lib, ignore_errors=True)
    staging.rename(lib)
    return lib
