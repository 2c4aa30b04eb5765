"""infra/docker/Dockerfile, read with BuildKit's own parser: multi-stage, pinned, non-root, health-checked."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import dockerfile
import pytest

from infra.k8s import manifests
from infra.k8s.validate import pinned
from infra.services import SERVICES

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "infra" / "docker" / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"


@pytest.fixture(scope="module")
def commands() -> tuple[dockerfile.Command, ...]:
    parsed: tuple[dockerfile.Command, ...] = dockerfile.parse_file(str(DOCKERFILE))
    return parsed


def arg_defaults(commands: tuple[dockerfile.Command, ...]) -> dict[str, str]:
    """``ARG NAME=value`` defaults, wherever declared."""
    return dict(c.value[0].split("=", 1) for c in commands if c.cmd == "ARG" and "=" in c.value[0])


def expand(text: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], text)


def final_stage(commands: tuple[dockerfile.Command, ...]) -> list[dockerfile.Command]:
    starts = [i for i, c in enumerate(commands) if c.cmd == "FROM"]
    return list(commands[starts[-1] :])


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether ``.dockerignore`` leaves ``path`` out of the build context (a matched folder takes its files).

    ``**/name`` matches ``name`` at any depth; the file uses no ``!`` exceptions.
    """
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatch(part, pattern.removeprefix("**/")) for part in parts):
                return True
        elif any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
            return True
    return False


def dockerignore() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_multi_stage_from_pinned_base_images(commands: tuple[dockerfile.Command, ...]) -> None:
    args = arg_defaults(commands)
    stages = [c.value for c in commands if c.cmd == "FROM"]
    assert [s[2] for s in stages] == ["dashboard", "build", "runtime"]
    images = [expand(s[0], args) for s in stages]
    assert all(pinned(image) for image in images), images
    assert all(image.split(":")[1].count(".") == 2 for image in images), "patch-level tags"
    assert all("slim" in image for image in images)


def test_runtime_runs_as_the_non_root_user_kubernetes_expects(
    commands: tuple[dockerfile.Command, ...],
) -> None:
    args = arg_defaults(commands)
    [user] = [c for c in final_stage(commands) if c.cmd == "USER"]
    uid, _, gid = expand(user.value[0], args).partition(":")
    assert int(uid) == int(gid) == manifests.RUN_AS
    assert int(uid) != 0


def test_runtime_has_a_healthcheck_and_exposes_every_port(commands: tuple[dockerfile.Command, ...]) -> None:
    final = final_stage(commands)
    [check] = [c for c in final if c.cmd == "HEALTHCHECK"]
    assert check.value == ("CMD", "python", "-m", "infra.healthcheck")
    [expose] = [c for c in final if c.cmd == "EXPOSE"]
    assert sorted(map(int, expose.value)) == sorted(s.default_port for s in SERVICES)
    [cmd] = [c for c in final if c.cmd == "CMD"]
    assert list(cmd.value) == SERVICES[0].argv(python="python")
    env = dict(zip(*[iter(next(c for c in final if c.cmd == "ENV").value)] * 2, strict=True))
    assert env["PROCESSOR_DATA_DIR"] == manifests.DATA_DIR


def test_dashboard_libraries_come_from_a_node_stage(commands: tuple[dockerfile.Command, ...]) -> None:
    copies = [c for c in commands if c.cmd == "COPY" and c.flags == ("--from=dashboard",)]
    assert [c.value[0] for c in copies] == ["/dashboard/node_modules"]
    runs = [c.value[0] for c in commands if c.cmd == "RUN"]
    assert any(r.startswith("npm ci ") for r in runs)


def test_every_copied_source_exists_and_is_in_the_context(commands: tuple[dockerfile.Command, ...]) -> None:
    patterns = dockerignore()
    sources = [src for c in commands if c.cmd == "COPY" and not c.flags for src in c.value[:-1]]
    assert sources, "the image copies the project"
    for source in sources:
        assert (REPO / source).exists(), source
        assert not ignored(source, patterns), source


def test_dockerignore_keeps_local_state_out() -> None:
    patterns = dockerignore()
    for path in (
        ".git",
        ".venv",
        ".local",
        "tests",
        "consumers/query_api/dashboard/node_modules",
        "x/__pycache__",
    ):
        assert ignored(path, patterns), path
    for path in ("pyproject.toml", "schemas/avro/Order.avsc", "infra/services.py"):
        assert not ignored(path, patterns), path
