"""``python -m producers.ingest_api.keys hash|new``: ingest-api's API keys on the command line.

``hash`` reads a key on stdin and prints its digest; ``new`` makes a random key and prints it with
its digest. The digests and the comparison are :mod:`infra.api_keys`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from infra.api_keys import digest, new_key


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m producers.ingest_api.keys", description=__doc__)
    parser.add_argument("command", choices=["hash", "new"], help="hash a key read on stdin, or make one")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; the key is read on stdin so it stays out of shell history and process lists."""
    args = _parser().parse_args(argv)
    if args.command == "new":
        key = new_key()
        sys.stdout.write(f"key:    {key}\ndigest: {digest(key)}\n")
        return 0
    key = sys.stdin.readline().rstrip("\r\n")
    if not key:
        sys.stderr.write("error: no key on stdin\n")
        return 2
    sys.stdout.write(f"{digest(key)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
