"""Assembly from a pom: Maven runs once per pom content, and an interrupted run never passes for done.

``mvn`` is a stand-in script on PATH that records its argv and writes the landmark jar (or fails,
or writes nothing), so no download happens.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from infra.jvm.assembly import STAMP_NAME, MavenAssembly, assemble, is_current
from schemas.exceptions import ShopStreamError

LANDS_A_JAR = (
    'out="${@: -1}"; mkdir -p "${out#-DoutputDirectory=}" && touch "${out#-DoutputDirectory=}/tool-1.0.jar"'
)


class ToolError(ShopStreamError):
    """The error type the assembly under test hands over."""


def fake_maven(bin_dir: Path, calls: Path, body: str) -> None:
    """Put an ``mvn`` on PATH that appends its argv to ``calls``, then runs ``body`` (bash)."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "mvn"
    script.write_text(f'#!/bin/bash\necho "$*" >> {shlex.quote(str(calls))}\n{body}\n')
    script.chmod(0o755)


@pytest.fixture
def tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MavenAssembly:
    """An assembly of ``tool-*.jar`` into tmp/lib from tmp/pom.xml, with a working ``mvn`` on PATH."""
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    fake_maven(tmp_path / "bin", tmp_path / "calls", LANDS_A_JAR)
    (tmp_path / "pom.xml").write_text("<project>1</project>")
    goal = ("dependency:copy-dependencies", "-DincludeScope=runtime")
    return MavenAssembly("the tool", tmp_path / "pom.xml", tmp_path / "lib", goal, "tool-*.jar", ToolError)


def calls(tool: MavenAssembly) -> list[str]:
    path = tool.pom.parent / "calls"
    return path.read_text().splitlines() if path.exists() else []


def test_maven_runs_once_per_pom_content(tool: MavenAssembly) -> None:
    assert is_current(tool) is False
    assert assemble(tool) == tool.target
    assert sorted(p.name for p in tool.target.iterdir()) == [STAMP_NAME, "tool-1.0.jar"]
    staging = tool.target.with_name("lib.staging")
    assert calls(tool) == [
        f"-q -B -f {tool.pom} dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory={staging}"
    ]
    assert (is_current(tool), assemble(tool), len(calls(tool))) == (True, tool.target, 1)

    tool.pom.write_text("<project>2</project>")
    assert is_current(tool) is False
    assemble(tool)
    assert (is_current(tool), len(calls(tool))) == (True, 2)
    assert not staging.exists()


def test_a_failed_run_keeps_the_previous_assembly(tool: MavenAssembly, tmp_path: Path) -> None:
    assemble(tool)
    tool.pom.write_text("<project>2</project>")
    fake_maven(tmp_path / "bin", tmp_path / "calls", 'for i in $(seq 40); do echo "line $i"; done; exit 3')
    with pytest.raises(ToolError) as caught:
        assemble(tool)
    assert str(caught.value) == "Maven exited with 3:\n" + "\n".join(f"line {i}" for i in range(11, 41))
    assert (tool.target / "tool-1.0.jar").is_file() and is_current(tool) is False


def test_a_run_without_the_landmark_is_not_taken_for_an_assembly(tool: MavenAssembly, tmp_path: Path) -> None:
    fake_maven(tmp_path / "bin", tmp_path / "calls", "exit 0")
    with pytest.raises(ToolError, match=r"^Maven succeeded but no tool-\*\.jar landed in .*lib\.staging$"):
        assemble(tool)
    assert not tool.target.exists()


def test_the_scratch_directory_is_removed_after_the_run(tool: MavenAssembly, tmp_path: Path) -> None:
    scratch = tmp_path / "maven"
    (scratch / "left-over").mkdir(parents=True)
    left_over = shlex.quote(str(scratch / "left-over"))
    fake_maven(tmp_path / "bin", tmp_path / "calls", f"test -e {left_over} && exit 9; {LANDS_A_JAR}")
    with_scratch = MavenAssembly(
        tool.what, tool.pom, tool.target, tool.goal, tool.landmark, ToolError, scratch
    )
    assemble(with_scratch)
    assert (is_current(with_scratch), scratch.exists()) == (True, False)


def test_no_maven_on_path_is_an_error_naming_what_it_fetches(
    tool: MavenAssembly, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolError, match=r"^Maven \('mvn'\) is not on PATH; it is needed to fetch the tool$"):
        assemble(tool)
