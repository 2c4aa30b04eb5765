"""Tables on RocksDB: bounded memory (not Faust's defaults), and a store ahead of its changelog rebuilt."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import faust
import pytest
from aiokafka.errors import KafkaTimeoutError
from faust.stores import memory
from faust.types import TP

from infra.settings import KafkaSettings
from stream_processors.common.app import _table, make_app
from stream_processors.common.settings import ProcessorSettings
from stream_processors.common.stores import Ahead, FollowingStore, partitions_ahead
from stream_processors.inventory.settings import InventorySettings

MIB = 1024**2
CHANGELOG = "stores-test-changelog"


def settings(store: str, data_dir: Path) -> ProcessorSettings:
    return ProcessorSettings.model_validate({"PROCESSOR_STORE": store, "PROCESSOR_DATA_DIR": str(data_dir)})


def test_memory_tables_take_no_store_options(tmp_path: Path) -> None:
    assert settings("memory://", tmp_path).store_options() == {}


def test_rocksdb_options_bound_memtables_and_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCESSOR_ROCKSDB_MEMTABLE_KIB", "512")
    monkeypatch.setenv("PROCESSOR_ROCKSDB_CACHE_MIB", "4")
    tuned = InventorySettings.model_validate({"PROCESSOR_STORE": "rocksdb://"})  # shared by every processor
    assert tuned.store_options() == {
        "write_buffer_size": 512 * 1024,
        "max_write_buffer_number": 2,
        "block_cache_size": 4 * MIB,
    }


@pytest.mark.parametrize("partition", [0, 3])
def test_every_table_partition_opens_with_the_bounds(tmp_path: Path, partition: int) -> None:
    app = make_app("stores-test", settings("rocksdb://", tmp_path))
    changelog = app.topic("stores-test-changelog", key_type=str, value_type=bytes)
    table: faust.Table[str, object] = _table(app, "things", KafkaSettings(), "json", changelog)
    store = table.data
    options = store.rocksdb_options  # type: ignore[attr-defined]  # the RocksDB store's own members
    assert (options.write_buffer_size, options.max_write_buffer_number, options.block_cache_size) == (
        MIB,
        2,
        2 * MIB,
    )
    assert store.key_index_size == 10_000  # type: ignore[attr-defined]  # the RocksDB store's own members
    db = store._db_for_partition(partition)  # type: ignore[attr-defined]  # the RocksDB store's own members
    db[b"k"] = b"v"
    assert db[b"k"] == b"v"
    assert app.store_options == settings("rocksdb://", tmp_path).store_options()  # type: ignore[attr-defined]  # store_options is our App subclass's, not faust.App's


def tp(partition: int) -> TP:
    return TP(CHANGELOG, partition)


@pytest.mark.parametrize(
    ("stored", "end", "ahead"),
    [
        (2, 3, False),  # its last record is the changelog's last (end - 1)
        (0, 3, False),  # behind: recovery reads on from there
        (3, 3, True),  # a record the changelog never got
        (7, 3, True),  # the topic was recreated after 8 records, 3 written since
        (1, 0, True),  # recreated, empty: Faust raises ConsistencyError (stored > end - 1 = -1)
        (0, 0, True),  # recreated, empty: Faust's truthiness tests let this one through (#597)
        (None, 3, False),  # nothing stored: a fresh store
        (5, None, False),  # the end is unknown: nothing to compare with
    ],
)
def test_a_partition_is_ahead_when_it_stored_an_offset_at_or_past_the_changelogs_end(
    stored: int | None, end: int | None, ahead: bool
) -> None:
    expected = [Ahead(tp(0), stored, end)] if ahead and stored is not None and end is not None else []
    assert partitions_ahead({tp(0): stored}, {tp(0): end}) == expected


def test_partitions_ahead_come_in_partition_order_and_missing_ends_are_not_ahead() -> None:
    stored = {tp(5): 9, tp(1): 4, tp(3): 1, tp(2): 8}
    ends: Mapping[TP, int | None] = {tp(5): 2, tp(1): 4, tp(3): 2}
    assert partitions_ahead(stored, ends) == [Ahead(tp(1), 4, 4), Ahead(tp(5), 9, 2)]


@pytest.fixture
def rocksdb_table(tmp_path: Path) -> faust.Table[str, object]:
    app = make_app("stores-test", settings("rocksdb://", tmp_path))
    changelog = app.topic(CHANGELOG, key_type=str, value_type=bytes)
    return _table(app, "things", KafkaSettings(), "json", changelog)


def write(store: FollowingStore, partition: int, offset: int) -> None:
    """A key in the partition's database and the offset of the last changelog record applied."""
    store._db_for_partition(partition)[b"k"] = b"v"
    store.set_persisted_offset(tp(partition), offset)


def ends_at(
    table: faust.Table[str, object], monkeypatch: pytest.MonkeyPatch, ends: Mapping[TP, int]
) -> list[set[TP]]:
    """The changelog's end offsets, as the consumer would read them from the brokers; the questions asked."""
    asked: list[set[TP]] = []

    async def highwaters(*tps: TP) -> Mapping[TP, int]:
        asked.append(set(tps))
        return {t: ends[t] for t in tps}

    monkeypatch.setattr(table.app.consumer, "highwaters", highwaters)
    return asked


def test_a_rocksdb_tables_store_follows_its_changelog(rocksdb_table: faust.Table[str, object]) -> None:
    """Canary: Faust builds the table's store through FollowingTable, with the table's codecs."""
    store = rocksdb_table.data
    assert type(store) is FollowingStore
    assert (store.table_name, store.key_serializer, store.value_serializer) == ("things", "raw", "json")


def test_a_memory_tables_store_is_fausts(tmp_path: Path) -> None:
    app = make_app("stores-test", settings("memory://", tmp_path))
    table: faust.Table[str, object] = _table(app, "things", KafkaSettings(), "json", app.topic(CHANGELOG))
    assert type(table.data) is memory.Store


async def test_a_partition_ahead_of_its_changelog_is_dropped_before_recovery(
    rocksdb_table: faust.Table[str, object], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = rocksdb_table.data
    assert isinstance(store, FollowingStore)
    write(store, 0, 7)  # the changelog was recreated since: it ends at 3
    write(store, 1, 2)  # in step: its last record is the changelog's
    asked = ends_at(rocksdb_table, monkeypatch, {tp(0): 3, tp(1): 3, tp(2): 0})
    newly = {tp(0), tp(1), tp(2), TP("orders", 0)}  # partition 2: nothing stored; orders: not this table's
    with caplog.at_level(logging.WARNING, logger="stream_processors.common.stores"):
        await rocksdb_table.on_rebalance(newly, set(), newly, 1)  # Faust's own call, as in a rebalance

    assert asked == [{tp(0), tp(1)}]
    assert (store.persisted_offset(tp(0)), store._db_for_partition(0).get(b"k")) == (None, None)
    assert (store.persisted_offset(tp(1)), store._db_for_partition(1).get(b"k")) == (2, b"v")
    [warning] = caplog.records
    assert warning.levelno == logging.WARNING
    assert warning.getMessage().startswith("table store is ahead of its changelog")
    fields = ("table", "topic", "partition", "stored_offset", "changelog_high_water")
    assert {k: vars(warning)[k] for k in fields} == {
        "table": "things",
        "topic": CHANGELOG,
        "partition": 0,
        "stored_offset": 7,
        "changelog_high_water": 3,
    }


async def test_a_store_in_step_with_its_changelog_is_kept(
    rocksdb_table: faust.Table[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = rocksdb_table.data
    assert isinstance(store, FollowingStore)
    write(store, 4, 2)
    ends_at(rocksdb_table, monkeypatch, {tp(4): 3})
    assert await store.follow_changelog([tp(4)]) == []
    assert (store.persisted_offset(tp(4)), store._db_for_partition(4).get(b"k")) == (2, b"v")


async def test_without_the_changelogs_end_the_store_is_kept_and_faust_still_checks(
    rocksdb_table: faust.Table[str, object], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = rocksdb_table.data
    assert isinstance(store, FollowingStore)
    write(store, 0, 7)

    async def timeout(*tps: TP) -> Mapping[TP, int]:
        raise KafkaTimeoutError()

    monkeypatch.setattr(rocksdb_table.app.consumer, "highwaters", timeout)
    with caplog.at_level(logging.WARNING, logger="stream_processors.common.stores"):
        assert await store.follow_changelog([tp(0)]) == []
    assert store.persisted_offset(tp(0)) == 7
    assert [r.getMessage() for r in caplog.records] == [
        "could not read the changelog's end offsets; Faust's recovery check still applies"
    ]
