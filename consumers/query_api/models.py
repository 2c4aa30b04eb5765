"""Response bodies of query-api, for the OpenAPI document.

A body that shows a record or a view takes its fields from the TypedDict that states them
(schemas/records.py, generated from the Avro schemas, or the read model's view) through
:func:`fields_of`, so they are written once; a body names only what it shows differently (a
record's timestamps as ISO-8601 strings) and what it documents further.
"""

from __future__ import annotations

import functools
import operator
import types
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints, is_typeddict

from pydantic import BaseModel, Field, PlainSerializer, create_model
from typing_extensions import TypedDict

from consumers.query_api.projections import orders
from schemas import records
from schemas.clock import EpochMillis, iso
from schemas.dead_letters import DeadLetterView, Kind

#: a record's timestamp as the API shows it: epoch millis in, ISO-8601 (UTC, milliseconds) out
IsoTime = Annotated[EpochMillis, PlainSerializer(iso, return_type=str)]


@functools.cache
def fields_of(typed_dict: type) -> type[BaseModel]:
    """A model with the fields of ``typed_dict`` (a TypedDict nested in it becomes a model too), to extend.

    pydantic cannot build on ``typing.TypedDict`` under Python 3.11, so the fields are copied, each one
    required: a record read has them all (the reader's defaults fill in what its writer left out).
    """
    fields: dict[str, Any] = {  # name → (annotation, ...: required), as create_model takes them
        name: (_model_type(hint), ...) for name, hint in get_type_hints(typed_dict).items()
    }
    return create_model(typed_dict.__name__, __doc__=typed_dict.__doc__, **fields)


def _model_type(hint: Any) -> Any:
    """``hint`` with each TypedDict in it (alone, in a list or a union) made its :func:`fields_of` model."""
    if is_typeddict(hint):
        return fields_of(hint)
    if get_origin(hint) is list:
        return types.GenericAlias(list, tuple(_model_type(arg) for arg in get_args(hint)))
    if get_origin(hint) in (Union, types.UnionType):  # ``X | None``
        return functools.reduce(operator.or_, (_model_type(arg) for arg in get_args(hint)))
    return hint


# ``fields_of`` makes its models at import time; mypy cannot see a class made by a call, hence the
# ``type: ignore[misc]`` (a dynamic base class) on the classes that extend one.


class CustomerOut(fields_of(records.Customer)):  # type: ignore[misc]  # a base made at import
    """A customer as last set."""

    updated_at: IsoTime


class NotificationOut(fields_of(records.Notification)):  # type: ignore[misc]  # a base made at import
    """An e-mail the shop sent."""

    created_at: IsoTime


class NotificationsOut(BaseModel):
    """Notifications, newest first."""

    notifications: list[NotificationOut]


class InventoryOut(BaseModel):
    """Stock of a sku: available = on_hand − reserved (below 0 if stock was lowered under reservations)."""

    sku: str
    on_hand: int
    reserved: int
    available: int


class OrderView(fields_of(orders.OrderView)):  # type: ignore[misc]  # a base made at import
    """Every field of the ``Order`` record; timestamps are ISO-8601 strings."""

    trace_id: str | None = Field(
        description="W3C trace id (32 hex digits) carried by the record of this version, if any (SPEC §5)",
    )


class CustomerOrdersOut(BaseModel):
    """A page of a customer's orders, newest first; ``next_cursor`` is null on the last page."""

    orders: list[OrderView]
    next_cursor: str | None


class LatestFailuresOut(BaseModel):
    """The most recently failed orders, newest first."""

    orders: list[OrderView]


class DeadLetterOut(fields_of(DeadLetterView)):  # type: ignore[misc]  # a base made at import
    """One record of ``dead-letters``; ``id`` is its ``<partition>-<offset>`` there."""

    kind: Kind


class DeadLettersOut(BaseModel):
    """A page of dead letters, newest first; ``next_cursor`` is null on the last page."""

    dead_letters: list[DeadLetterOut]
    next_cursor: str | None


class OrderStats(TypedDict):
    """How many orders are in each state now (every state present), and in all."""

    counts: dict[str, int]
    total: int


class Sales(TypedDict):
    """What validated orders sold: orders, units, and revenue in minor units (currencies added up)."""

    orders: int
    units: int
    revenue_cents: int


class SkuSales(TypedDict):
    """The sales of one sku over the minutes asked for."""

    sku: str
    orders: int
    units: int
    revenue_cents: int


class MinuteSales(Sales):
    """The sales of one minute, and of each sku in it."""

    skus: dict[str, Sales]


class MinuteSpan(TypedDict):
    """A 1-minute window, its ends as ISO-8601."""

    window_start: str
    window_end: str


class SalesMinute(MinuteSpan, MinuteSales):
    """One minute of sales, its window first."""


#: ``GET /v1/stats/sales``: sales per minute (by placed_at), totals, top skus and revenue per currency
#: (a functional TypedDict: ``from`` is a Python keyword)
SalesStats = TypedDict(
    "SalesStats",
    {
        "minutes": int,
        "from": str,
        "windows": list[SalesMinute],
        "totals": Sales,
        "top_skus": list[SkuSales],
        "revenue_by_currency": dict[str, int],
    },
)
