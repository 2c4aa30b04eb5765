"""Settings every Faust processor has; each app subclasses with its own env prefix."""

from pydantic import AliasChoices, AliasGenerator, Field
from pydantic_settings import SettingsConfigDict

from infra.settings import ServiceSettings

#: the knobs read from ``PROCESSOR_<NAME>`` whatever the service's prefix: one value for every worker of
#: every processor (the web address, registry wait and session timings are each service's own)
SHARED = frozenset(
    {
        "store",
        "data_dir",
        "batch_size",
        "batch_wait_ms",
        "rocksdb_memtable_kib",
        "rocksdb_cache_mib",
        "key_index_size",
        "commit_interval_s",
        "lag_interval_s",
        "linger_ms",
    }
)


class _SharedVariables(AliasGenerator):
    """Names the variable of each knob of :data:`SHARED`; the others keep the service's own prefix."""

    def generate_aliases(self, field_name: str) -> tuple[str | None, AliasChoices | None, str | None]:
        """(alias, validation alias, serialization alias): ``PROCESSOR_<FIELD>`` to read a shared knob."""
        shared = AliasChoices(f"PROCESSOR_{field_name.upper()}") if field_name in SHARED else None
        return None, shared, None


class ProcessorSettings(ServiceSettings):
    """Where state lives and how a worker is tuned; ``PROCESSOR_*`` unless a subclass says otherwise."""

    model_config = SettingsConfigDict(
        env_prefix="PROCESSOR_",
        frozen=True,
        extra="ignore",
        alias_generator=_SharedVariables(),
    )

    store: str = Field(
        default="memory://",
        description="table store of every processor: memory:// in tests, rocksdb:// (rocksdict) for real",
    )
    data_dir: str = ".local/faust"
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=6066, description="health, readiness and Prometheus metrics")
    registry_wait_s: float = Field(default=60.0, ge=0, description="how long start-up waits for the registry")
    session_timeout_s: float = Field(
        default=10.0, ge=6, description="how soon a crashed worker's partitions move to the others"
    )
    heartbeat_s: float = Field(default=3.0, gt=0)
    batch_size: int = Field(default=1000, ge=1, description="most events an agent applies in one batch")
    batch_wait_ms: float = Field(
        default=2.0,
        ge=0,
        description="how long an agent waits for more events once one is there, to batch them",
    )
    rocksdb_memtable_kib: int = Field(
        default=1024,
        ge=64,
        description="RocksDB write buffer per table partition, two at most; Faust's default of three "
        "64 MiB ones fills for hours at shop rates, so RSS grows all that time; 256 KiB ones flushed so "
        "often that writes stalled (soak p99 5.8 s)",
    )
    rocksdb_cache_mib: int = Field(
        default=2,
        ge=1,
        description="RocksDB block cache per table partition (Faust's default: 2 GiB); the OS page "
        "cache holds the rest of these small databases",
    )
    key_index_size: int = Field(
        default=10_000,
        ge=0,
        description="keys per table whose partition Faust remembers (about 150 bytes each); a key not "
        "in it is looked up in every partition's database (1,000 cost the soak's latency)",
    )
    commit_interval_s: float = Field(
        default=2.8,
        gt=0,
        description="how often processed offsets are committed (Faust's default): one OffsetCommit "
        "request per worker each time, after the pre-commit flush",
    )
    lag_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="how often a worker refreshes its lag and oldest-record age metrics: one ListOffsets "
        "request per worker each time, and a one-record fetch for partitions whose next record it has "
        "not fetched yet (``backlog``)",
    )
    linger_ms: float = Field(
        default=5.0,
        ge=0,
        description="how long the producer waits to fill a batch: 0 sends one request per record",
    )

    def store_options(self) -> dict[str, int]:
        """Options of every table's store: RocksDB's memory bounds, or none for other stores."""
        if not self.store.startswith("rocksdb"):
            return {}
        return {
            "write_buffer_size": self.rocksdb_memtable_kib * 1024,
            "max_write_buffer_number": 2,
            "block_cache_size": self.rocksdb_cache_mib * 1024**2,
        }
