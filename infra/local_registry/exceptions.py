"""Errors raised by the local schema registry launcher."""


class LocalRegistryError(Exception):
    """The local Apicurio Registry could not be assembled, started, probed or stopped."""
