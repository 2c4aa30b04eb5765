"""The size limits of ``make lint`` (infra.lint_sizes): what is counted, where, and the exit code."""

from __future__ import annotations

from pathlib import Path

from infra import lint_sizes


def function_of(lines: int, *, decorators: int = 0, name: str = "f") -> str:
    """A function spanning exactly ``lines`` lines, ``decorators`` of them decorator lines."""
    body = lines - decorators - 1
    return "".join(
        [*(f"@d{index}\n" for index in range(decorators)), f"def {name}():\n", *["    pass\n"] * body]
    )


def write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


def test_a_function_is_counted_from_its_first_decorator_to_its_last_line() -> None:
    source = "x = 1\n\n" + function_of(51, decorators=2) + "\n\ny = 2\n"

    assert list(lint_sizes.long_functions(Path("m.py"), source, 50)) == [
        "m.py:5: function f is 51 lines (limit 50)"
    ]
    assert list(lint_sizes.long_functions(Path("m.py"), source, 51)) == []


def test_blank_lines_comments_and_docstrings_count_and_methods_are_checked() -> None:
    source = 'class C:\n    async def m(self):\n        """Doc."""\n\n        # why\n        return 1\n'

    assert list(lint_sizes.long_functions(Path("c.py"), source, 4)) == [
        "c.py:2: function m is 5 lines (limit 4)"
    ]
    assert list(lint_sizes.long_functions(Path("c.py"), source, 5)) == []


def test_modules_are_limited_in_the_services_only(tmp_path: Path) -> None:
    long_module = "x = 1\n" * 301
    for package in ("producers", "stream_processors", "consumers", "infra", "bench"):
        write(tmp_path, f"{package}/big.py", long_module)
    write(tmp_path, "consumers/ok.py", "x = 1\n" * 300)

    assert lint_sizes.findings(tmp_path) == [
        "consumers/big.py:1: module is 301 lines (limit 300)",
        "producers/big.py:1: module is 301 lines (limit 300)",
        "stream_processors/big.py:1: module is 301 lines (limit 300)",
    ]


def test_functions_are_limited_in_every_package_but_not_in_tests_or_npm(tmp_path: Path) -> None:
    for relative in ("schemas/a.py", "ops/a.py", "tests/a.py", "infra/x/node_modules/a.py"):
        write(tmp_path, relative, function_of(51))
    write(tmp_path, "bench/a.py", function_of(50))

    assert lint_sizes.findings(tmp_path) == [
        "ops/a.py:1: function f is 51 lines (limit 50)",
        "schemas/a.py:1: function f is 51 lines (limit 50)",
    ]


def test_main_exits_1_on_a_breach_and_0_without(tmp_path: Path) -> None:
    write(tmp_path, "infra/a.py", function_of(50))
    assert lint_sizes.main([str(tmp_path)]) == 0

    write(tmp_path, "infra/b.py", function_of(51))
    assert lint_sizes.main([str(tmp_path)]) == 1
