"""Request and response bodies of ingest-api."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field, with_config
from typing_extensions import TypedDict

from infra.http import ID_PATTERN
from schemas.records import CustomerTier

Id = Annotated[str, Field(pattern=ID_PATTERN, examples=["c-42"])]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]


class Strict(BaseModel):
    """JSON types are taken as they are (no "5" for 5) and unknown fields are refused."""

    model_config = ConfigDict(strict=True, extra="forbid")


class CustomerIn(Strict):
    """A customer; PUT replaces, so a missing tier is BRONZE and a missing blocked is false."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
    tier: CustomerTier = "BRONZE"
    blocked: bool = False


class InventoryIn(Strict):
    """The stock on hand of a sku."""

    on_hand: Annotated[int, Field(ge=0, le=2**31 - 1)]


# Orders are the hot path (up to 1000 in a request), so they are validated into plain dicts
# (TypedDicts): no model instance is built per order and line only to be dumped again for Avro.
# Validation is the same: strict JSON types, unknown fields refused, every constraint in OpenAPI.
strict_dict = with_config(ConfigDict(strict=True, extra="forbid"))


@strict_dict
class OrderLineIn(TypedDict):
    """One line of an order."""

    sku: Id
    quantity: Annotated[int, Field(ge=1, le=1000)]
    unit_price_cents: Annotated[int, Field(ge=1, le=100_000_000)]


@strict_dict
class OrderIn(TypedDict):
    """An order; order_id is generated when absent (give it to make retries safe)."""

    order_id: NotRequired[Id | None]
    customer_id: Id
    currency: Currency
    items: Annotated[list[OrderLineIn], Field(min_length=1, max_length=50)]


@strict_dict
class OrdersBatchIn(TypedDict):
    """Up to 1000 orders published together."""

    orders: Annotated[list[OrderIn], Field(min_length=1, max_length=1000)]


class PaymentIn(Strict):
    """A payment for an order; payment_id is generated when absent."""

    payment_id: Id | None = None
    amount_cents: Annotated[int, Field(ge=1, le=10**15)]
    currency: Currency


class Accepted(BaseModel):
    """The event is durably in Kafka."""

    status: Literal["accepted"] = "accepted"


class OrderAccepted(BaseModel):
    """The order is durably in Kafka; follow ``Location`` to watch it."""

    order_id: str


class OrdersAccepted(BaseModel):
    """Every order of the batch is durably in Kafka, ids in input order."""

    order_ids: list[str]
