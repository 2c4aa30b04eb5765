"""The project's root error, and the errors of the schema contract.

The root sits here, in the bottom layer, so every package can derive its errors from it.
"""


class ShopStreamError(Exception):
    """Root of every error ShopStream raises on purpose."""


class SchemaError(ShopStreamError):
    """A schema is missing or invalid."""


class DecodeError(SchemaError):
    """Bytes are not a record this service can read (bad header, unknown schema, corrupt body)."""


class EncodeError(SchemaError):
    """A record does not match the schema it is written with."""
