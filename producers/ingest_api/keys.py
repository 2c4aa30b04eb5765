"""API keys of ingest-api: only their SHA-256 digests are ever configured or compared.

``python -m producers.ingest_api.keys hash`` reads a key on stdin and prints its digest;
``python -m producers.ingest_api.keys new`` makes a random key and prints it with its digest.

SHA-256 (not a slow password hash) is enough because keys are long random tokens, not
passwords a person picks: nobody can guess one from its digest, and checking a request stays cheap.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import secrets
import sys
from collections.abc import Mapping, Sequence

DIGEST_PATTERN = r"^[0-9a-fA-F]{64}$"
KEY_BYTES = 32


def digest(key: str) -> str:
    """The lowercase hex SHA-256 of ``key`` (UTF-8): what settings store instead of the key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh random key (256 bits, URL-safe)."""
    return secrets.token_urlsafe(KEY_BYTES)


def match(presented: str, digests: Mapping[str, str]) -> str | None:
    """The name of the stored key equal to ``presented``, or None.

    Every stored digest is compared, in constant time and without stopping at a match, so the
    answer time does not tell how many keys there are or which one (or which bytes) came close.
    """
    candidate = digest(presented).encode("ascii")
    found: str | None = None
    for name, stored in digests.items():
        if hmac.compare_digest(candidate, stored.encode("ascii")) and found is None:
            found = name
    return found


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
