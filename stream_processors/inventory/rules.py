"""Stock and reservation rules of the inventory processor (SPEC §3, check INVENTORY).

State per sku: ``on_hand`` (None while the sku is unknown), the offset of the last stock level
applied, and the open reservations by order_id. Which orders closed their reservation (released
or committed) is kept per (sku, order) apart from it, in a table of its own, so a late or repeated
request never counts an order twice and the sku's record does not grow with every order it saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypedDict

from schemas.clock import EpochMillis
from schemas.records import InventoryView, Order, OrderState
from stream_processors.common.checks import is_new

#: how an order's reservation of a sku was closed for good (the ``closures`` table's value)
Closure = Literal["RELEASED", "COMMITTED"]
#: what a line request asks of a sku: reserve (a new order), release (failed, cancelled), commit (shipped)
LineOp = Literal["reserve", "release", "commit"]
RELEASE_STATES: frozenset[OrderState] = frozenset({"FAILED", "CANCELLED"})


class Stock(TypedDict):
    """A sku's stock (the ``stock`` table's value)."""

    on_hand: int | None  # None while no stock level was set
    level_offset: int  # of the last stock level applied (-1: none)
    reserved: dict[str, int]  # order_id → units of its open reservation


class LineRequest(TypedDict):
    """What an order asks of one sku (the internal ``lines`` topic, keyed by sku)."""

    op: LineOp
    order_id: str
    sku: str
    quantity: int
    index: int  # of the line in the order, lines of one sku summed
    n: int  # how many lines the order has


class LineResult(LineRequest):
    """The answer to a ``reserve`` (the internal ``line-results`` topic, keyed by order_id)."""

    ok: bool
    reason: str | None  # why it did not fit (None when it did)


class Answers(TypedDict):
    """An order's line results so far (the ``answers`` table's value), and whether it was decided."""

    results: dict[str, LineResult]  # sku → its line's result
    decided: bool


def empty_stock() -> Stock:
    """A sku nobody has set yet."""
    return {"on_hand": None, "level_offset": -1, "reserved": {}}


def line_requests(order: Order) -> list[LineRequest]:
    """What an ``Order`` version asks of each sku: reserve (CREATED v1), release or commit.

    Lines of one sku are summed (a duplicated sku fails DETAILS, but its stock is still one
    reservation), and ``n`` tells the aggregator how many answers make the order complete.
    """
    op: LineOp
    if is_new(order):
        op = "reserve"
    elif order["state"] in RELEASE_STATES:
        op = "release"
    elif order["state"] == "SHIPPED":
        op = "commit"
    else:
        return []
    quantities: dict[str, int] = {}
    for line in order["items"]:
        quantities[line["sku"]] = quantities.get(line["sku"], 0) + int(line["quantity"])
    return [
        {
            "op": op,
            "order_id": order["order_id"],
            "sku": sku,
            "quantity": qty,
            "index": i,
            "n": len(quantities),
        }
        for i, (sku, qty) in enumerate(quantities.items())
    ]


def knows(stock: Stock, order_id: str, closed_as: Closure | None) -> bool:
    """Whether the sku has seen this order before: it holds, or has closed, a reservation for it."""
    return order_id in stock["reserved"] or closed_as is not None


def reserved(stock: Stock) -> int:
    """Units held by open reservations."""
    return sum(stock["reserved"].values())


def available(stock: Stock) -> int:
    """on_hand − reserved (may go below 0 when stock is lowered under the reservations)."""
    return int(stock["on_hand"] or 0) - reserved(stock)


def reserve(
    stock: Stock, order_id: str, sku: str, quantity: int, closed_as: Closure | None = None
) -> tuple[bool, str | None, bool]:
    """Try to reserve: (fits, reason if not, whether the stock changed). Idempotent per order.

    ``closed_as``: how the order's reservation of this sku was closed, if it was.
    """
    if order_id in stock["reserved"]:
        return True, None, False
    if closed_as is not None:
        return False, f"ALREADY_{closed_as}:{sku}", False
    if stock["on_hand"] is None:
        return False, f"UNKNOWN_SKU:{sku}", False
    if available(stock) < quantity:
        return False, f"OUT_OF_STOCK:{sku}", False
    stock["reserved"][order_id] = quantity
    return True, None, True


NEEDS_LEVELS = ("UNKNOWN_SKU:", "OUT_OF_STOCK:")  # refusals a stock level not read yet may undo


def reserve_with_level(
    stock: Stock,
    request: LineRequest,
    closed_as: Closure | None,
    level: tuple[int, int] | None,
    caught_up: bool,
) -> tuple[bool, str | None, bool] | None:
    """Reserve, giving the stock levels their say before refusing (SPEC §3 "reference data first").

    ``request``: the line's ``sku``, ``order_id`` and ``quantity``; ``level``: the sku's latest
    stock level read so far as (on_hand, offset), or None. Returns None when the refusal is for
    stock (unknown sku, out of stock) and the levels were not yet read up to when the request was
    written: the caller reads them, then asks again with ``caught_up``. Once caught up, the latest
    level is applied (if newer than the sku's) and the line decided again. Otherwise as ``reserve``.
    """
    sku, order_id, quantity = request["sku"], request["order_id"], request["quantity"]
    ok, reason, changed = reserve(stock, order_id, sku, quantity, closed_as)
    if ok or not (reason or "").startswith(NEEDS_LEVELS):
        return ok, reason, changed
    if not caught_up:
        return None
    if level is None or not set_level(stock, *level):
        return ok, reason, changed
    ok, reason, _ = reserve(stock, order_id, sku, quantity, closed_as)
    return ok, reason, True


def release(stock: Stock, order_id: str, closed_as: Closure | None = None) -> tuple[bool, Closure | None]:
    """Drop the order's reservation (if any) for good: (stock changed, the closure to record)."""
    if closed_as is not None:
        return False, None
    return stock["reserved"].pop(order_id, None) is not None, "RELEASED"


def commit(stock: Stock, order_id: str) -> tuple[bool, Closure | None]:
    """The order shipped: on_hand and reserved both drop by its quantity; (changed, closure)."""
    quantity = stock["reserved"].pop(order_id, None)
    if quantity is None:
        return False, None
    stock["on_hand"] = int(stock["on_hand"] or 0) - quantity
    return True, "COMMITTED"


def set_level(stock: Stock, on_hand: int, offset: int) -> bool:
    """Apply an operator's stock level (once, in offset order); reservations are left alone."""
    if offset <= stock["level_offset"]:
        return False
    stock["on_hand"], stock["level_offset"] = on_hand, offset
    return True


def view(sku: str, stock: Stock, now: EpochMillis) -> InventoryView:
    """The ``InventoryView`` record of a sku."""
    on_hand = int(stock["on_hand"] or 0)
    held = reserved(stock)
    return {"sku": sku, "on_hand": on_hand, "reserved": held, "available": on_hand - held, "updated_at": now}


def decide(results: Mapping[str, LineResult], n: int) -> tuple[bool, list[str]] | None:
    """Once all ``n`` line results are in: (passed, reasons in line order); None until then."""
    if len(results) < n:
        return None
    failed = [r for r in sorted(results.values(), key=lambda r: r["index"]) if not r["ok"]]
    return not failed, [r["reason"] for r in failed if r["reason"] is not None]


def releases(results: Mapping[str, LineResult], passed: bool) -> list[LineResult]:
    """All or nothing: once an order failed, a ``release`` request for every line that was reserved.

    ``results``: sku → that line's result (``ok``, ``index``...); the requests come in line order,
    and none when the order passed.
    """
    if passed:
        return []
    reserved = sorted((r for r in results.values() if r["ok"]), key=lambda r: r["index"])
    return [{**r, "op": "release"} for r in reserved]
