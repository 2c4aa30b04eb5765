"""Tables on RocksDB get bounded memory: small write buffers and block cache, not Faust's defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.settings import KafkaSettings
from stream_processors.common.app import _table, make_app
from stream_processors.common.settings import ProcessorSettings
from stream_processors.inventory.settings import InventorySettings

MIB = 1024**2


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
    table = _table(app, "things", KafkaSettings(), "json", changelog)
    store = table.data
    options = store.rocksdb_options  # type: ignore[attr-defined]
    assert (options.write_buffer_size, options.max_write_buffer_number, options.block_cache_size) == (
        MIB,
        2,
        2 * MIB,
    )
    assert store.key_index_size == 10_000  # type: ignore[attr-defined]
    db = store._db_for_partition(partition)  # type: ignore[attr-defined]
    db[b"k"] = b"v"
    assert db[b"k"] == b"v"
    assert app.store_options == settings("rocksdb://", tmp_path).store_options()  # type: ignore[attr-defined]
