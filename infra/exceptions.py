"""The project's root exception; every package's errors derive from it."""


class ShopStreamError(Exception):
    """Root of every error ShopStream raises on purpose."""
