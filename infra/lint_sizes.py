"""``python -m infra.lint_sizes``: the size limits of ``make lint``, counted in physical lines.

A function or method may span at most ``MAX_FUNCTION_LINES`` lines, from its first decorator to its
last line (blank lines, comments and docstring included: what a reader scrolls through); a service
module at most ``MAX_SERVICE_MODULE_LINES``. No maintained linter counts this way on Python 3.11:
ruff has no length rule, ``flake8-max-function-length`` starts at ``def`` (decorators left out),
``flake8-functions`` CFQ001 from the first body statement to the *start* of the last one, and
pymaxlines counts only code lines and needs Python 3.12.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

MAX_FUNCTION_LINES = 50
MAX_SERVICE_MODULE_LINES = 300
# every package of the project (tests/ is not held to these limits)
FUNCTION_ROOTS = ("producers", "stream_processors", "consumers", "schemas", "infra", "ops", "bench")
# the services: each of their modules is one part of one service
SERVICE_ROOTS = ("producers", "stream_processors", "consumers")

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def function_span(node: FunctionNode) -> int:
    """Lines from the first decorator (or ``def``) to the last line of ``node``."""
    first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
    last = node.end_lineno if node.end_lineno is not None else node.lineno
    return last - first + 1


def long_functions(path: Path, source: str, limit: int) -> Iterator[str]:
    """One finding per function or method of ``source`` longer than ``limit`` lines."""
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            span = function_span(node)
            if span > limit:
                yield f"{path}:{node.lineno}: function {node.name} is {span} lines (limit {limit})"


def long_module(path: Path, source: str, limit: int) -> str | None:
    """A finding when the module ``source`` has more than ``limit`` lines."""
    lines = len(source.splitlines())
    return f"{path}:1: module is {lines} lines (limit {limit})" if lines > limit else None


def python_files(root: Path, packages: Iterable[str]) -> list[Path]:
    """The project's ``.py`` files below each of ``packages`` in ``root`` (npm's are not), sorted."""
    return sorted(
        path
        for package in packages
        for path in (root / package).rglob("*.py")
        if "node_modules" not in path.relative_to(root).parts
    )


def findings(root: Path) -> list[str]:
    """Every breach of the two limits in the project at ``root``."""
    found: list[str] = []
    for path in python_files(root, FUNCTION_ROOTS):
        source = path.read_text(encoding="utf-8")
        relative = path.relative_to(root)
        found.extend(long_functions(relative, source, MAX_FUNCTION_LINES))
        if relative.parts[0] in SERVICE_ROOTS:
            module = long_module(relative, source, MAX_SERVICE_MODULE_LINES)
            if module is not None:
                found.append(module)
    return found


def main(argv: Sequence[str] = ()) -> int:
    """Print each breach and exit 1 when there is one (the project root is the working directory)."""
    root = Path(argv[0]) if argv else Path.cwd()
    found = findings(root)
    for finding in found:
        sys.stderr.write(finding + "\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
