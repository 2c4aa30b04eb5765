"""Errors of the base layer's tools (the root error is ``schemas.exceptions.ShopStreamError``)."""

from schemas.exceptions import ShopStreamError


class SessionInfraError(ShopStreamError):
    """A test session could not get a broker and registry of its own (every slot taken)."""


class ArchitectureDocError(ShopStreamError):
    """docs/architecture.md cannot be generated: its markers are missing, or a service has no Flow."""
