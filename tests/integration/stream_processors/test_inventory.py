"""The INVENTORY check on a real broker: a repeated order answers again and re-publishes its stock.

A repeat is what a worker sees after a crash between its table write and the sending of its
outputs: the state already holds the reservation, so only the repeat can restore what was lost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from infra.settings import KafkaSettings
from schemas.clock import now_ms
from schemas.settings import RegistrySettings
from schemas.topics import Topics
from tests.helpers.kafka import StockViews
from tests.helpers.processes import on_own_topics
from tests.integration.stream_processors.test_checks import PASS, Shop, open_shop, uid


@pytest.fixture(scope="module")
def inventory(kafka: str, schema_registry: str) -> Iterator[KafkaSettings]:
    """The inventory processor, on topics of its own."""
    with on_own_topics(["inventory"], kafka, schema_registry) as settings:
        yield settings


@pytest.fixture
async def shop_and_stocks(
    inventory: KafkaSettings, registry_settings: RegistrySettings
) -> AsyncIterator[tuple[Shop, StockViews]]:
    """A shop reading INVENTORY results, and the published stock views, both from the beginning."""
    async with (
        open_shop(inventory, registry_settings, checks=1) as shop,
        StockViews(inventory, registry_settings) as stocks,
    ):
        yield shop, stocks


async def level(shop: Shop, sku: str, on_hand: int) -> None:
    """Set the sku's stock on hand (acknowledged by Kafka when this returns)."""
    await shop.send(Topics.INVENTORY_LEVELS, sku, {"sku": sku, "on_hand": on_hand, "updated_at": now_ms()})


async def test_a_repeated_order_answers_again_and_publishes_its_stock_again(
    shop_and_stocks: tuple[Shop, StockViews],
) -> None:
    shop, stocks = shop_and_stocks
    sku = uid("sku")
    await level(shop, sku, 5)
    assert await stocks.count(sku, 1) == [(5, 0)]
    order_id = await shop.order(uid("ann"), (sku, 100))
    assert await shop.outcome(order_id) == {"INVENTORY": PASS}
    assert await stocks.count(sku, 2) == [(5, 0), (5, 1)]

    shop.seen.pop(order_id)
    await shop.resend(order_id)
    assert await shop.outcome(order_id) == {"INVENTORY": PASS}  # the same answer, sent again
    assert await stocks.count(sku, 3) == [(5, 0), (5, 1), (5, 1)]  # reserved once, published again


async def test_a_repeated_failed_order_answers_again_and_holds_nothing(
    shop_and_stocks: tuple[Shop, StockViews],
) -> None:
    shop, stocks = shop_and_stocks
    sku, scarce = uid("sku"), uid("scarce")
    for name, on_hand in ((sku, 5), (scarce, 0)):
        await level(shop, name, on_hand)
        assert await stocks.count(name, 1) == [(on_hand, 0)]
    order_id = await shop.order(uid("ann"), (sku, 100), (scarce, 100))
    failed = {"INVENTORY": (False, [f"OUT_OF_STOCK:{scarce}"])}
    assert await shop.outcome(order_id) == failed
    assert await stocks.count(sku, 3) == [(5, 0), (5, 1), (5, 0)]  # all or nothing: released

    shop.seen.pop(order_id)
    await shop.resend(order_id)
    # each line's repeated answer sends the decision again: once per line, never a new one
    assert await shop.results(order_id, "INVENTORY", 2) == [failed["INVENTORY"]] * 2
    assert await stocks.count(sku, 4) == [(5, 0), (5, 1), (5, 0), (5, 0)]  # never reserved twice
