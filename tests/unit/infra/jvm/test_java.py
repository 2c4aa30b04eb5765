"""Which ``java`` a tool gets: the first home recent enough, an explicit setting obeyed or refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.jvm import java
from infra.jvm.java import find_java, java_major
from schemas.exceptions import ShopStreamError

HOME_ENV = "SHOPSTREAM_TEST_JAVA_HOME"


class ToolError(ShopStreamError):
    """The error type the tool under test hands over."""


def jdk(root: Path, name: str, version: str) -> Path:
    """A Java home as far as the finder looks: a ``release`` file and an (empty) ``bin/java``."""
    home = root / name
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").touch()
    (home / "release").write_text(f'IMPLEMENTOR="Test"\nJAVA_VERSION="{version}"\n')
    return home


@pytest.fixture
def jvm_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """/usr/lib/jvm stand-in holding Java 11, 17 and 21; no JAVA_HOME, no java on PATH."""
    root = tmp_path / "jvm"
    for name, version in (("java-11", "11.0.2"), ("java-17", "17.0.15"), ("java-21", "21.0.1")):
        jdk(root, name, version)
    monkeypatch.setattr(java, "JVM_ROOT", root)
    monkeypatch.setenv("PATH", str(tmp_path / "no-java-here"))
    for name in (HOME_ENV, "JAVA_HOME"):
        monkeypatch.delenv(name, raising=False)
    return root


def test_versions_are_read_from_the_release_file(tmp_path: Path) -> None:
    assert java_major(jdk(tmp_path, "old", "1.8.0_392")) == 8
    assert java_major(jdk(tmp_path, "new", "25")) == 25
    assert java_major(tmp_path / "not-a-jdk") is None


def test_java_home_comes_first_when_it_is_recent_enough(
    jvm_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(jvm_root / "java-17"))
    assert find_java(17, "Kafka", ToolError) == str(jvm_root / "java-17" / "bin" / "java")
    assert find_java(21, "the registry", ToolError) == str(jvm_root / "java-21" / "bin" / "java")


def test_the_tool_s_own_setting_wins_or_is_refused(jvm_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(jvm_root / "java-21"))
    monkeypatch.setenv(HOME_ENV, str(jvm_root / "java-17"))
    assert find_java(17, "Kafka", ToolError, HOME_ENV) == str(jvm_root / "java-17" / "bin" / "java")
    with pytest.raises(ToolError, match=f"^{HOME_ENV}={jvm_root / 'java-17'} is not a Java 21\\+ home$"):
        find_java(21, "the registry", ToolError, HOME_ENV)


def test_none_recent_enough_is_an_error_listing_what_was_seen(jvm_root: Path) -> None:
    with pytest.raises(ToolError) as caught:
        find_java(25, "the registry", ToolError, HOME_ENV)
    assert str(caught.value) == (
        f"the registry needs Java 25+; none found among {jvm_root / 'java-21'} (21), "
        f"{jvm_root / 'java-17'} (17), {jvm_root / 'java-11'} (11) (set {HOME_ENV} or JAVA_HOME)"
    )
