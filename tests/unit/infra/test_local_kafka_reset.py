"""``reset`` clears the processors' table state too: a store kept across it would be ahead of Kafka.

The launcher is replaced in these tests: nothing here stops or deletes a broker.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local_kafka import cli, launcher, processor_state
from infra.local_kafka.exceptions import LocalKafkaError


def worker(root: Path, name: str, tables: bool = True) -> Path:
    """A processor worker's data directory as Faust lays it out (``v1/tables/<table>-<p>.db``)."""
    path = root / name
    app_dir = path / "v1"
    if tables:
        (app_dir / "tables" / "stock-0.db").mkdir(parents=True)
        (app_dir / "tables" / "stock-0.db" / "CURRENT").write_text("MANIFEST-000001\n")
    else:
        app_dir.mkdir(parents=True)
    return path


def test_only_processor_workers_directories_are_cleared(tmp_path: Path) -> None:
    root = tmp_path / "faust"
    rocksdb = worker(root, "inventory-8103")
    memory = worker(root, "it-1a2b.fraud-20001", tables=False)
    (root / "notes").mkdir()
    (root / "notes" / "todo.txt").write_text("keep me")
    (root / "README").write_text("keep me")
    elsewhere = worker(tmp_path / "elsewhere", "orders-8101")
    (root / "linked-8109").symlink_to(elsewhere)

    assert processor_state.clear(root) == [rocksdb, memory]
    assert sorted(p.name for p in root.iterdir()) == ["README", "linked-8109", "notes"]
    assert (root / "notes" / "todo.txt").read_text() == "keep me"
    assert (elsewhere / "v1" / "tables" / "stock-0.db" / "CURRENT").is_file()  # never followed


def test_a_missing_data_dir_has_nothing_to_clear(tmp_path: Path) -> None:
    assert processor_state.clear(tmp_path / "never-made") == []


@pytest.fixture
def resets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The launcher's resets, recorded instead of run."""
    calls: list[str] = []

    def refuse(*_: object) -> None:
        raise AssertionError("a unit test reached the real launcher")

    monkeypatch.setattr(launcher, "_reset", refuse)
    monkeypatch.setattr(launcher, "reset_single", lambda: calls.append("single"))
    monkeypatch.setattr(launcher, "reset_cluster", lambda: calls.append("cluster"))
    return calls


@pytest.mark.parametrize(("argv", "reset"), [(["reset"], "single"), (["reset", "--cluster"], "cluster")])
def test_reset_clears_the_processor_state_and_says_so(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    resets: list[str],
    argv: list[str],
    reset: str,
) -> None:
    monkeypatch.setenv("PROCESSOR_DATA_DIR", str(tmp_path))
    worker(tmp_path, "orders-8101")
    worker(tmp_path, "fraud-8104")

    assert cli.main(argv) == 0
    assert resets == [reset]
    assert list(tmp_path.iterdir()) == []
    cleared = f"cleared processor state in {tmp_path} (fraud-8104, orders-8101)"
    assert capsys.readouterr().out == f"{cleared}: its changelogs went with Kafka's data\n"


def test_reset_without_processor_state_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], resets: list[str]
) -> None:
    monkeypatch.setenv("PROCESSOR_DATA_DIR", str(tmp_path / "faust"))
    assert cli.main(["reset"]) == 0
    assert capsys.readouterr().out == f"no processor state to clear in {tmp_path / 'faust'}\n"


def test_a_failed_broker_reset_keeps_the_processor_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail() -> None:
        raise LocalKafkaError("single: still running")

    monkeypatch.setattr(launcher, "reset_single", fail)
    monkeypatch.setenv("PROCESSOR_DATA_DIR", str(tmp_path))
    kept = worker(tmp_path, "orders-8101")
    assert cli.main(["reset"]) == cli.EXIT_ERROR
    assert kept.is_dir()
    assert capsys.readouterr().err == "error: single: still running\n"
