"""The project's root exception; every package's errors derive from it."""


class ShopStreamError(Exception):
    """Root of every error ShopStream raises on purpose."""


class SessionInfraError(ShopStreamError):
    """A test session could not get a broker and registry of its own (every slot taken)."""
