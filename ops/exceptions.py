"""Errors of the operator commands: each says what the operator should check."""

from schemas.exceptions import ShopStreamError


class OpsError(ShopStreamError):
    """An operator command cannot do what it was asked; the message says why."""
