"""The tour's runner: how it reads docs/tour.md's console blocks and compares outputs."""

from __future__ import annotations

from pathlib import Path

from tests.tour.runner import Shell, Step, Substitutions, matches, steps

DOC = """Some text.

```console
$ echo one
one
$ printf 'a\\nb\\n' \\
  | cat
a
b
```

```text
$ not run
```

```console
$ true
```
"""


def test_steps_are_the_console_commands_with_their_outputs() -> None:
    assert steps(DOC) == [
        Step(4, "echo one", ("one",)),
        Step(6, "printf 'a\\nb\\n' \\\n  | cat", ("a", "b")),
        Step(17, "true", ()),
    ]


def test_an_ellipsis_stands_for_text_in_a_line_and_for_lines_on_its_own() -> None:
    assert matches(["pid ..., uptime 0:00:..."], ["pid 42, uptime 0:00:12"])
    assert matches(["first", "...", "last"], ["first", "x", "y", "last"])
    assert matches(["first", "...", "last"], ["first", "last"])
    assert not matches(["first", "...", "last"], ["first", "x"])
    assert not matches(["pid ..., uptime 0:00:..."], ["pid 42, uptime 1:00:12"])


def test_runs_of_spaces_count_as_one_but_words_must_match() -> None:
    assert matches(["group members lag"], ["group      members   lag"])
    assert not matches(["group members lag"], ["group members"])
    assert not matches(["3"], ["3", "4"])


def test_substitutions_rewrite_commands_and_outputs() -> None:
    subs = Substitutions((("127.0.0.1:8000", "127.0.0.1:40001"),), (("shopstream-", "p.shopstream-"),))
    assert subs.command("curl 127.0.0.1:8000/x shopstream-fraud") == "curl 127.0.0.1:40001/x shopstream-fraud"
    assert subs.output("shopstream-fraud at 127.0.0.1:8000") == "p.shopstream-fraud at 127.0.0.1:40001"


def test_the_shell_keeps_its_state_between_commands_and_separates_outputs(tmp_path: Path) -> None:
    shell = Shell(tmp_path, {"PATH": "/usr/bin:/bin"})
    try:
        assert shell.run("x=41; cd /", 10) == []
        assert shell.run("echo $((x + 1)); pwd", 10) == ["42", "/"]
        assert shell.run("printf 'no newline'", 10) == ["no newline"]
        assert shell.run("echo oops >&2; false", 10) == ["oops"]
    finally:
        shell.close()
