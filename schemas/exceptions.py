"""Errors of the schema contract."""

from infra.exceptions import ShopStreamError


class SchemaError(ShopStreamError):
    """A schema is missing or invalid."""


class DecodeError(SchemaError):
    """Bytes are not a record this service can read (bad header, unknown schema, corrupt body)."""


class EncodeError(SchemaError):
    """A record does not match the schema it is written with."""
