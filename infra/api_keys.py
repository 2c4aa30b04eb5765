"""API keys of ingest-api: only their SHA-256 digests are ever configured or compared (SPEC §5, Security).

In the base layer because the service checks keys and the tools make them (``make up`` gives the
simulator one); ``python -m producers.ingest_api.keys`` is the command line for operators.

SHA-256 (not a slow password hash) is enough because keys are long random tokens, not
passwords a person picks: nobody can guess one from its digest, and checking a request stays cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

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
