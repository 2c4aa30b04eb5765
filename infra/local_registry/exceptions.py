"""Errors raised by the local schema registry launcher."""

from schemas.exceptions import ShopStreamError


class LocalRegistryError(ShopStreamError):
    """The local Apicurio Registry could not be assembled, started, probed or stopped."""
