"""Placeholder: filled in by the work on issue 15."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Register the ``dead-letters`` command."""
    parser: argparse.ArgumentParser = commands.add_parser("dead-letters")
    parser.set_defaults(run=lambda args: 2)
    return parser
