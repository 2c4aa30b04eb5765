"""``python -m ops rebuild`` on a real broker: inventory rebuilt from nothing has the same stock as before.

The test writes what the orders processor would (``Order`` versions on ``orders``) and stock levels,
and reads what inventory publishes (views on ``inventory``, results on ``order-validations``).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from infra.services import SERVICES
from infra.settings import KafkaSettings
from infra.topics import partitions_of
from ops.rebuild_plan import CONTRACT_CHANGELOGS, PROCESSORS, group_id
from schemas.clock import now_ms
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import Topics
from stream_processors.common.settings import ProcessorSettings
from tests.helpers.kafka import read_to_end
from tests.helpers.processes import Running, own_topics, running, service
from tests.integration.stream_processors.test_checks import PASS, Shop, open_shop, uid

View = tuple[int, int, int]  # on_hand, reserved, available
TABLES = ("answers", "closures", "stock")


@dataclass
class Inventory:
    """The inventory processor on topics of its own, with RocksDB stores in a folder of the test's."""

    settings: KafkaSettings
    worker: Running
    env: dict[str, str]
    data_dir: Path

    @property
    def group(self) -> str:
        return group_id(self.settings.topic_prefix, "inventory")

    def rebuild(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``python -m ops rebuild inventory ARGS`` with the services' environment."""
        argv = [sys.executable, "-m", "ops", "rebuild", "inventory", *args]
        env = {**os.environ, **self.env, "COLUMNS": "200"}
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603 - this interpreter, our own module


@pytest.fixture
def inventory(kafka: str, schema_registry: str, tmp_path: Path) -> Iterator[Inventory]:
    """The inventory processor alone, storing its tables in RocksDB under ``tmp_path``."""
    settings, base = own_topics("rebuild", kafka, schema_registry)
    env = {**base, "PROCESSOR_STORE": "rocksdb://", "PROCESSOR_DATA_DIR": str(tmp_path)}
    with running([service("inventory")], env, tag="rebuild-") as started:
        yield Inventory(settings, started["inventory"], env, tmp_path)


async def level(shop: Shop, sku: str, on_hand: int) -> None:
    await shop.send(Topics.INVENTORY_LEVELS, sku, {"sku": sku, "on_hand": on_hand, "updated_at": now_ms()})


async def place(shop: Shop, **quantities: int) -> dict[str, Any]:
    """Write a CREATED v1 order of ``quantities`` (sku → units at 100 cents); the record."""
    items = [{"sku": sku, "quantity": n, "unit_price_cents": 100} for sku, n in quantities.items()]
    order_id = uid("o")
    order: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": uid("ann"),
        "currency": "EUR",
        "items": items,
        "total_cents": 100 * sum(quantities.values()),
        "state": "CREATED",
        "version": 1,
        "placed_at": now_ms(),
        "updated_at": now_ms(),
    }
    await shop.send(Topics.ORDERS, order_id, order)
    return order


async def move(shop: Shop, order: dict[str, Any], state: str) -> dict[str, Any]:
    """Write the order's next version, in ``state``."""
    order = {**order, "state": state, "version": order["version"] + 1, "updated_at": now_ms()}
    await shop.send(Topics.ORDERS, order["order_id"], order)
    return order


async def settled(kafka: KafkaSettings, group: str, topics: list[str], timeout_s: float = 120) -> None:
    """Wait until ``group`` has committed every record of ``topics`` and none came meanwhile.

    The end offsets are read before and after the committed ones: equal all three, nothing was
    pending, and every output of what was processed is already written (a processor writes its
    outputs before it commits, ``stream_processors.common.transport``).
    """
    counts = await partitions_of(kafka, topics)
    tps = [TopicPartition(t, p) for t in topics for p in range(counts[t])]
    admin = AIOKafkaAdminClient(**kafka.client_options())
    consumer = AIOKafkaConsumer(**kafka.client_options(), group_id=None)
    await admin.start()
    await consumer.start()
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                before = await consumer.end_offsets(tps)
                committed = {
                    tp: m.offset for tp, m in (await admin.list_consumer_group_offsets(group)).items()
                }
                after = await consumer.end_offsets(tps)
                if before == after and all(committed.get(tp, 0) == end for tp, end in after.items()):
                    return
                await asyncio.sleep(0.5)
    finally:
        await consumer.stop()
        await admin.close()


async def committed_offsets(kafka: KafkaSettings, group: str) -> dict[tuple[str, int], int]:
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        found = await admin.list_consumer_group_offsets(group)
        return {(tp.topic, tp.partition): meta.offset for tp, meta in found.items()}
    finally:
        await admin.close()


async def topic_names(kafka: KafkaSettings) -> set[str]:
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def published(
    kafka: KafkaSettings, registry: RegistrySettings
) -> tuple[dict[str, list[View]], dict[str, list[Any]]]:
    """Every view per sku and every INVENTORY result per order, in order (whole topics)."""
    with Serdes(kafka, registry) as serdes:
        views: dict[str, list[View]] = {}
        for record in await read_to_end(kafka.servers, [Topics.INVENTORY.full_name(kafka.topic_prefix)]):
            v = serdes(Topics.INVENTORY).decode(record.value)
            views.setdefault(v["sku"], []).append((v["on_hand"], v["reserved"], v["available"]))
        results: dict[str, list[Any]] = {}
        for record in await read_to_end(
            kafka.servers, [Topics.ORDER_VALIDATIONS.full_name(kafka.topic_prefix)]
        ):
            r = serdes(Topics.ORDER_VALIDATIONS).decode(record.value)
            results.setdefault(r["order_id"], []).append((r["passed"], r["reasons"]))
        return views, results


def latest(views: Mapping[str, list[View]]) -> dict[str, View]:
    return {sku: seen[-1] for sku, seen in views.items()}


async def test_inventory_rebuilt_from_the_earliest_offsets_has_the_same_stock(
    inventory: Inventory, registry_settings: RegistrySettings
) -> None:
    kafka, group = inventory.settings, inventory.group
    inputs = [
        Topics.ORDERS.full_name(kafka.topic_prefix),
        Topics.INVENTORY_LEVELS.full_name(kafka.topic_prefix),
        f"{group}-lines",
        f"{group}-line-results",
    ]
    a, b, c = uid("a"), uid("b"), uid("c")
    async with open_shop(kafka, registry_settings, checks=1) as shop:
        for sku, on_hand in ((a, 10), (b, 5), (c, 3)):
            await level(shop, sku, on_hand)
        shipped = await place(shop, **{a: 2, b: 1})
        cancelled = await place(shop, **{a: 3})
        held = await place(shop, **{b: 2, c: 1})
        assert [await shop.outcome(o["order_id"]) for o in (shipped, cancelled, held)] == [
            {"INVENTORY": PASS}
        ] * 3
        scarce = await place(shop, **{c: 5})  # 2 of c available
        assert await shop.outcome(scarce["order_id"]) == {"INVENTORY": (False, [f"OUT_OF_STOCK:{c}"])}
        await move(shop, shipped, "SHIPPED")
        await move(shop, cancelled, "CANCELLED")
        await move(shop, scarce, "FAILED")
    await settled(kafka, group, inputs)
    views_before, results_before = await published(kafka, registry_settings)
    before = latest(views_before)
    assert before == {a: (8, 0, 8), b: (4, 2, 2), c: (3, 1, 2)}

    refused = inventory.rebuild("--to-earliest")
    assert refused.returncode == 2
    assert f"group {group} has 1 member(s)" in " ".join(refused.stderr.split())

    inventory.worker.stop()
    [store] = list(inventory.data_dir.iterdir())
    changelogs = {f"{group}-{table}-changelog" for table in TABLES}
    assert changelogs <= await topic_names(kafka)
    offsets_before = await committed_offsets(kafka, group)

    dry = inventory.rebuild("--to-earliest", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert (
        dry.stdout.splitlines()[0]
        == f"rebuild inventory (group {group}) from the earliest offsets; the group has no members"
    )
    assert all(name in dry.stdout for name in (*changelogs, str(store)))
    assert dry.stdout.splitlines()[-1] == "dry run: nothing changed"
    assert await committed_offsets(kafka, group) == offsets_before
    assert store.exists()

    done = inventory.rebuild("--to-earliest")
    assert done.returncode == 0, done.stderr
    assert not store.exists()
    assert not changelogs & await topic_names(kafka)
    assert await committed_offsets(kafka, group) == {tp: 0 for tp in offsets_before}

    inventory.worker.restart()
    inventory.worker.wait_ready()
    await settled(kafka, group, inputs)
    views_after, results_after = await published(kafka, registry_settings)
    assert latest(views_after) == before
    assert store.is_dir()  # recreated by the rebuilt worker
    for sku in (a, b, c):
        assert len(views_after[sku]) > len(
            views_before[sku]
        )  # published again: the inputs were processed again
    for order_id, first in results_before.items():
        again = results_after[order_id]
        assert len(again) > len(first)  # answered again ...
        assert set(map(repr, again)) == {repr(first[0])}  # ... with the same outcome, which orders ignores


def test_only_the_declared_processors_keep_a_table_in_a_topic_of_the_contract(
    kafka: str, schema_registry: str
) -> None:
    """The canary of ``CONTRACT_CHANGELOGS``: every app's tables, built as their workers build them."""
    settings, _ = own_topics("canary", kafka, schema_registry)
    found: dict[str, set[str]] = {}
    for svc in (s for s in SERVICES if s.name in PROCESSORS):
        app_module, settings_module = (
            import_module(f"{svc.module}.app"),
            import_module(f"{svc.module}.settings"),
        )
        [settings_class] = [
            value
            for value in vars(settings_module).values()
            if isinstance(value, type)
            and issubclass(value, ProcessorSettings)
            and value is not ProcessorSettings
        ]
        app = app_module.create_app(
            settings_class(kafka=settings, registry=RegistrySettings(registry_url=schema_registry))
        )
        own = {f"{app.conf.id}-{table.name}-changelog" for table in app.tables.values()}
        names = {table.changelog_topic.get_topic_name() for table in app.tables.values()}
        app.exit_stack.close()  # what stopping the never-started app would close: its registry client
        if names - own:
            found[svc.name] = names - own
    assert found == {
        service: {spec.full_name(settings.topic_prefix) for spec in specs}
        for service, specs in CONTRACT_CHANGELOGS.items()
    }


def test_a_group_that_never_committed_is_refused_not_crashed(kafka: str, tmp_path: Path) -> None:
    """A prefix where the processor never ran (the usual slip: a wrong KAFKA_TOPIC_PREFIX) is refused."""
    argv = [sys.executable, "-m", "ops", "rebuild", "fraud", "--to-earliest", "--dry-run"]
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_PREFIX": "never-ran-here.",
        "PROCESSOR_DATA_DIR": str(tmp_path),
        "COLUMNS": "200",
    }
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603 - this interpreter, our own module
    assert done.returncode == 2, done.stdout + done.stderr
    assert "refused:" in done.stderr and "KAFKA_TOPIC_PREFIX" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
