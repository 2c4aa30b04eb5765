"""Every silenced check says which rule it silences and why (STYLE.md, Types and docs; issue 16).

ruff's RUF100 already fails a ``noqa`` for a rule that is not checked or not broken, and mypy's
``warn_unused_ignores`` an ignore that is not needed; this adds the reason: ``# noqa: S603 - why``
and ``# type: ignore[code]  # why``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOQA = re.compile(r"#\s*noqa\b(?P<rest>.*)")
IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<rest>.*)")
NOQA_OK = re.compile(r"^:\s*[A-Z]+[0-9]+(,\s*[A-Z]+[0-9]+)*\s+-\s+\S")
IGNORE_OK = re.compile(r"^\[[a-z0-9-]+(,\s*[a-z0-9-]+)*\]\s+#\s*\S")


def unexplained(line: str) -> bool:
    """Whether ``line`` silences a check without naming the rule and giving a reason."""
    noqa, ignore = NOQA.search(line), IGNORE.search(line)
    return bool(
        (noqa and not NOQA_OK.match(noqa.group("rest")))
        or (ignore and not IGNORE_OK.match(ignore.group("rest")))
    )


def test_the_pattern_tells_a_reason_from_none() -> None:
    assert not unexplained("run(argv)  # noqa: S603 - argv from infra.services")
    assert not unexplained("x = y  # type: ignore[attr-defined]  # Faust's own member")
    assert unexplained("run(argv)  # noqa: S603")
    assert unexplained("run(argv)  # noqa")
    assert unexplained("x = y  # type: ignore")
    assert unexplained("x = y  # type: ignore[attr-defined]")


def test_every_noqa_and_type_ignore_names_its_rule_and_says_why() -> None:
    listing = ["git", "ls-files", "*.py"]  # the project's own files, as committed
    done = subprocess.run(listing, cwd=REPO, capture_output=True, text=True, check=True)  # noqa: S603 - fixed argv
    files = done.stdout.split()
    found = [
        f"{name}:{number}: {line.strip()}"
        for name in files
        if name != "tests/unit/test_lint_comments.py"
        for number, line in enumerate((REPO / name).read_text(encoding="utf-8").splitlines(), 1)
        if unexplained(line)
    ]
    assert found == []
