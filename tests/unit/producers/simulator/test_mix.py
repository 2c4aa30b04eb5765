"""The simulator's traffic mix: deterministic with a seed, with every kind of call in it."""

from __future__ import annotations

from collections import Counter

from producers.simulator.mix import SCARCE_SKU, WHALE, Mix


def test_seed_calls_set_every_customer_and_sku() -> None:
    calls = Mix(customers=3, skus=2, seed=1).seed_calls()
    assert [c.path for c in calls] == [
        "/v1/customers/sim-c0",
        "/v1/customers/sim-c1",
        "/v1/customers/sim-c2",
        f"/v1/customers/{WHALE}",
        "/v1/inventory/sim-s0",
        "/v1/inventory/sim-s1",
        f"/v1/inventory/{SCARCE_SKU}",
    ]


def test_the_same_seed_gives_the_same_traffic() -> None:
    first, second = Mix(seed=7), Mix(seed=7)
    assert [first.next_call() for _ in range(200)] == [second.next_call() for _ in range(200)]


def test_the_mix_has_every_kind_and_is_mostly_good_orders() -> None:
    mix = Mix(seed=3)
    kinds = Counter(mix.next_call().kind for _ in range(5000))
    assert set(kinds) == {"order", "order-out-of-stock", "order-over-limit", "payment", "ship", "cancel"}
    assert kinds["order"] > kinds["order-out-of-stock"] + kinds["order-over-limit"]


def test_payments_pay_the_whole_total_of_an_earlier_order() -> None:
    mix = Mix(seed=5)
    orders = {}
    for _ in range(500):
        call = mix.next_call()
        if call.kind.startswith("order"):
            assert call.body is not None
            orders[call.body["order_id"]] = sum(
                i["quantity"] * i["unit_price_cents"] for i in call.body["items"]
            )
        elif call.kind == "payment":
            order_id = call.path.split("/")[3]
            assert call.body == {"amount_cents": orders[order_id], "currency": "EUR"}


def test_fewer_skus_than_lines_an_order_may_have() -> None:
    mix = Mix(customers=1, skus=1, seed=3)
    skus = {line["sku"] for _ in range(200) for line in (mix.next_call().body or {}).get("items", [])}
    assert skus == {"sim-s0", SCARCE_SKU}
