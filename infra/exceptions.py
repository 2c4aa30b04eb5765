"""Errors of the base layer's tools (the root error is ``schemas.exceptions.ShopStreamError``)."""

from schemas.exceptions import ShopStreamError


class SessionInfraError(ShopStreamError):
    """A test session could not get a broker and registry of its own (every slot taken)."""
