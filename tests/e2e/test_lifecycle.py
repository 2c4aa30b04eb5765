"""SPEC §3 over HTTP, ingest-api to query-api, with every processor running."""

from __future__ import annotations

import asyncio

from tests.e2e.shop import Shop, uid

PRICE = 1000


async def test_happy_path_to_shipped_with_inventory_numbers(shop: Shop) -> None:
    customer, sku = await shop.customer(), await shop.stock(10)
    order_id = await shop.order(customer, (sku, 3, PRICE))
    validated = await shop.wait(order_id, "VALIDATED")
    assert (validated["version"], validated["total_cents"], validated["reasons"]) == (2, 3000, [])
    await shop.inventory_becomes(sku, {"on_hand": 10, "reserved": 3, "available": 7})
    await shop.pay(order_id, 3000)
    paid = await shop.wait(order_id, "PAID")
    assert (paid["paid_cents"], paid["version"]) == (3000, 3)
    await shop.act(order_id, "ship")
    shipped = await shop.wait(order_id, "SHIPPED")
    assert shipped["version"] == 4
    await shop.inventory_becomes(sku, {"on_hand": 7, "reserved": 0, "available": 7})
    kinds = ["ORDER_CONFIRMED", "PAYMENT_RECEIVED", "ORDER_SHIPPED"]
    for kind in kinds:
        [note] = await shop.notifications(customer, kind, order_id)
        assert note["email"] == f"{customer}@example.com"


async def test_out_of_stock(shop: Shop) -> None:
    customer, sku = await shop.customer(), await shop.stock(2)
    failed = await shop.wait(await shop.order(customer, (sku, 3, PRICE)))
    assert (failed["state"], failed["reasons"]) == ("FAILED", [f"OUT_OF_STOCK:{sku}"])
    await shop.inventory_becomes(sku, {"on_hand": 2, "reserved": 0, "available": 2})


async def test_unknown_sku(shop: Shop) -> None:
    customer, sku = await shop.customer(), uid("never-set")
    failed = await shop.wait(await shop.order(customer, (sku, 1, PRICE)))
    assert (failed["state"], failed["reasons"]) == ("FAILED", [f"UNKNOWN_SKU:{sku}"])


async def test_unknown_customer(shop: Shop) -> None:
    sku = await shop.stock(5)
    failed = await shop.wait(await shop.order(uid("stranger"), (sku, 1, PRICE)))
    assert (failed["state"], failed["reasons"]) == ("FAILED", ["UNKNOWN_CUSTOMER"])
    await shop.inventory_becomes(sku, {"reserved": 0, "available": 5})


async def test_blocked_customer(shop: Shop) -> None:
    customer, sku = await shop.customer(blocked=True), await shop.stock(5)
    failed = await shop.wait(await shop.order(customer, (sku, 1, PRICE)))
    assert (failed["state"], failed["reasons"]) == ("FAILED", ["CUSTOMER_BLOCKED"])


async def test_duplicate_sku_lines(shop: Shop) -> None:
    customer, sku = await shop.customer(), await shop.stock(5)
    failed = await shop.wait(await shop.order(customer, (sku, 1, PRICE), (sku, 1, PRICE)))
    assert (failed["state"], failed["reasons"]) == ("FAILED", [f"DUPLICATE_SKU:{sku}"])
    await shop.inventory_becomes(sku, {"reserved": 0, "available": 5})


async def test_fraud_limit_over_several_orders_exactly_at_the_limit_fails(shop: Shop) -> None:
    customer, sku = await shop.customer(), await shop.stock(1000)
    first = await shop.wait(await shop.order(customer, (sku, 1, 120_000)))
    second = await shop.wait(await shop.order(customer, (sku, 1, 79_999)))
    third = await shop.wait(await shop.order(customer, (sku, 1, 1)))
    assert [o["state"] for o in (first, second)] == ["VALIDATED", "VALIDATED"]
    assert (third["state"], third["reasons"]) == ("FAILED", ["FRAUD_LIMIT"])


async def test_same_order_id_twice_keeps_the_first(shop: Shop) -> None:
    customer, sku = await shop.customer(), await shop.stock(5)
    order_id = await shop.order(customer, (sku, 1, PRICE))
    await shop.order(customer, (sku, 4, 5 * PRICE), order_id=order_id)
    view = await shop.wait(order_id, "VALIDATED")
    assert (view["total_cents"], view["version"], len(view["items"])) == (PRICE, 2, 1)
    await asyncio.sleep(1)
    await shop.inventory_becomes(sku, {"reserved": 1})


async def test_payment_before_validation(shop: Shop) -> None:
    customer, sku = await shop.customer(), await shop.stock(5)
    order_id = uid("o")
    await shop.pay(order_id, 2 * PRICE)  # overtakes the order: held until it exists
    await shop.order(customer, (sku, 2, PRICE), order_id=order_id)
    paid = await shop.wait(order_id, "PAID")
    assert (paid["paid_cents"], paid["version"]) == (2 * PRICE, 4)  # CREATED, paid, VALIDATED, PAID


async def test_split_payments(shop: Shop) -> None:
    customer, sku = await shop.customer(), await shop.stock(5)
    order_id = await shop.order(customer, (sku, 2, PRICE))
    await shop.wait(order_id, "VALIDATED")
    await shop.pay(order_id, 500, payment_id="p-1")
    await shop.pay(order_id, 500, payment_id="p-1")  # a retry counts once
    partly = await shop.wait_version(order_id, 3)
    assert (partly["state"], partly["paid_cents"]) == ("VALIDATED", 500)
    await shop.pay(order_id, 1500, payment_id="p-2")
    paid = await shop.wait(order_id, "PAID")
    assert (paid["paid_cents"], paid["version"], paid["payment_ids"]) == (2000, 4, ["p-1", "p-2"])


async def test_payment_in_wrong_currency_is_rejected(shop: Shop) -> None:
    customer, sku = await shop.customer(), await shop.stock(5)
    order_id = await shop.order(customer, (sku, 1, PRICE))
    await shop.wait(order_id, "VALIDATED")
    await shop.pay(order_id, PRICE, currency="USD")
    [rejected] = await shop.notifications(customer, "ACTION_REJECTED", order_id)
    assert "CURRENCY_MISMATCH:USD" in rejected["text"]
    view = await shop.wait(order_id, "VALIDATED")
    assert (view["paid_cents"], view["version"]) == (0, 2)


async def test_cancel_in_every_allowed_state_releases_the_reservation(shop: Shop) -> None:
    customer, sku = await shop.customer(), await shop.stock(10)
    validated = await shop.order(customer, (sku, 1, PRICE))
    paid = await shop.order(customer, (sku, 2, PRICE))
    await shop.wait(validated, "VALIDATED")
    await shop.wait(paid, "VALIDATED")
    await shop.pay(paid, 2 * PRICE)
    await shop.wait(paid, "PAID")
    await shop.inventory_becomes(sku, {"reserved": 3})
    for order_id in (validated, paid):
        await shop.act(order_id, "cancel")
        assert (await shop.wait(order_id, "CANCELLED"))["state"] == "CANCELLED"
        await shop.notifications(customer, "ORDER_CANCELLED", order_id)
    await shop.inventory_becomes(sku, {"on_hand": 10, "reserved": 0, "available": 10})


async def test_cancel_while_created(shop: Shop) -> None:
    customer = await shop.customer()
    order_id = uid("o")
    await shop.act(order_id, "cancel")  # overtakes the order: applied once it exists
    await shop.order(customer, (uid("sku"), 1, PRICE), order_id=order_id)
    view = await shop.wait(order_id, "CANCELLED,FAILED")
    assert (view["state"], view["version"]) == ("CANCELLED", 2)


async def test_cancel_refused_in_failed_shipped_cancelled(shop: Shop) -> None:
    customer, sku = await shop.customer(), await shop.stock(10)
    failed = await shop.order(customer, (uid("nope"), 1, PRICE))
    shipped = await shop.order(customer, (sku, 1, PRICE))
    await shop.wait(failed, "FAILED")
    await shop.wait(shipped, "VALIDATED")
    await shop.pay(shipped, PRICE)
    await shop.wait(shipped, "PAID")
    await shop.act(shipped, "ship")
    await shop.wait(shipped, "SHIPPED")
    cancelled = await shop.order(customer, (sku, 1, PRICE))
    await shop.wait(cancelled, "VALIDATED")
    await shop.act(cancelled, "cancel")
    await shop.wait(cancelled, "CANCELLED")
    for order_id, state in ((failed, "FAILED"), (shipped, "SHIPPED"), (cancelled, "CANCELLED")):
        version = (await shop.wait(order_id, state))["version"]
        await shop.act(order_id, "cancel")
        [rejected] = await shop.notifications(customer, "ACTION_REJECTED", order_id)
        assert f"CANCEL_NOT_ALLOWED_IN_{state}" in rejected["text"]
        view = await shop.wait(order_id, state)
        assert view["version"] == version


async def test_ship_before_payment_is_refused(shop: Shop) -> None:
    customer, sku = await shop.customer(), await shop.stock(5)
    order_id = await shop.order(customer, (sku, 1, PRICE))
    await shop.wait(order_id, "VALIDATED")
    await shop.act(order_id, "ship")
    [rejected] = await shop.notifications(customer, "ACTION_REJECTED", order_id)
    assert "SHIP_NOT_ALLOWED_IN_VALIDATED" in rejected["text"]
    assert (await shop.wait(order_id, "VALIDATED"))["version"] == 2


async def test_two_line_order_where_one_line_does_not_fit_reserves_nothing(shop: Shop) -> None:
    customer, plenty, scarce = await shop.customer(), await shop.stock(10), await shop.stock(1)
    failed = await shop.wait(await shop.order(customer, (plenty, 4, PRICE), (scarce, 2, PRICE)))
    assert (failed["state"], failed["reasons"]) == ("FAILED", [f"OUT_OF_STOCK:{scarce}"])
    await shop.inventory_becomes(plenty, {"on_hand": 10, "reserved": 0, "available": 10})
    await shop.inventory_becomes(scarce, {"on_hand": 1, "reserved": 0, "available": 1})


async def test_failed_order_releases_its_reservation(shop: Shop) -> None:
    customer, sku = await shop.customer(), await shop.stock(10)
    failed = await shop.wait(await shop.order(customer, (sku, 2, 300_000)))  # over the fraud limit
    assert failed["reasons"] == ["FRAUD_LIMIT"]
    await shop.inventory_becomes(sku, {"on_hand": 10, "reserved": 0, "available": 10})


async def test_reference_data_first_fifty_times(shop: Shop) -> None:
    for _ in range(50):
        customer, sku = uid("c"), uid("sku")
        await asyncio.gather(
            shop.ingest.put(f"/v1/customers/{customer}", json={"name": "N", "email": "n@example.com"}),
            shop.ingest.put(f"/v1/inventory/{sku}", json={"on_hand": 3}),
        )
        order_id = await shop.order(customer, (sku, 1, 10))
        view = await shop.wait(order_id)
        assert view["state"] == "VALIDATED", view["reasons"]
