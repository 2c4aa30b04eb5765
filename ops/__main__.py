"""``python -m ops <command> ...``: one entry point for every operator command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ops import dead_letters, lag, rebuild, records, schema_check


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; its return value is the exit status."""
    parser = argparse.ArgumentParser(prog="python -m ops", description="ShopStream operator commands")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    dead_letters.add_parser(commands)
    lag.add_parser(commands)
    rebuild.add_parser(commands)
    records.add_parser(commands)
    schema_check.add_parser(commands)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
