"""``python -m ops schema-check FILE``: may this edited .avsc be published as its record's next version?

The candidate must read every published version of its record (backward, transitive: SPEC §2,
"Schemas evolve"), the versions in ``schemas/avro/history`` and the current one. Whether those
versions can read the candidate (forward: consumers not yet upgraded) is said too: the SPEC does not
require it, but without it every reader must be upgraded before the first writer.

Exit status: 0 the candidate may be published, 1 it may not (each problem printed), 2 refused
(unreadable file, unknown record; the message says why).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from schemas import store
from schemas.evolution import Verdict, judge
from schemas.exceptions import SchemaError


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``schema-check`` to the ``python -m ops`` sub-commands."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "schema-check", help="check an edited schema against every published version of its record"
    )
    parser.add_argument("file", type=Path, help="the .avsc file to check")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the verdict; 0 compatible, 1 not, 2 refused."""
    try:
        candidate = store.from_definition(json.loads(args.file.read_text(encoding="utf-8")))
        verdict = judge(candidate, store.versions(candidate.name))
    except (OSError, ValueError, SchemaError) as exc:  # no file, not JSON, not Avro, unknown record
        sys.stderr.write(f"refused: {args.file}: {exc}\n")
        return 2
    for line in report(verdict):
        sys.stdout.write(line + "\n")
    return 1 if verdict.unreadable else 0


def report(verdict: Verdict) -> list[str]:
    """The verdict in lines: backward first (it decides), then forward."""
    name, versions = verdict.name, f"v1..v{verdict.published}"
    lines = [f"{name}: {verdict.published} published versions ({versions})"]
    if verdict.unreadable:
        lines += [
            f"  cannot read v{v}: {why}" for v, problems in verdict.unreadable.items() for why in problems
        ]
        lines.append(f"{name}: NOT backward compatible: it may not be published")
    else:
        lines.append(f"{name}: backward compatible: reads every published version")
    if verdict.unread_by:
        lines += [
            f"  v{v} cannot read it: {why}" for v, problems in verdict.unread_by.items() for why in problems
        ]
        lines.append(
            f"{name}: NOT forward compatible: a service still reading with those versions fails on its"
            " records; upgrade every reader before any writer"
        )
    else:
        lines.append(f"{name}: forward compatible: every published version reads it")
    return lines
