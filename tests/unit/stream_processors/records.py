"""The sample records of SPEC §2 (``tests.unit.schemas.samples``) as the types the rules take."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from tests.unit.schemas.samples import SAMPLES

R = TypeVar("R")


def sample(schema: type[R], **changes: Any) -> R:
    """A copy of the sample of ``schema``, a TypedDict of ``schemas.records``, with ``changes``."""
    return cast(R, {**SAMPLES[schema.__name__], **changes})
