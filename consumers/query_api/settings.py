"""Settings of query-api, read from ``QUERY_*`` (Kafka from ``KAFKA_*``)."""

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from infra.settings import ServiceSettings


class QuerySettings(ServiceSettings):
    """How query-api listens and how its long-polls behave."""

    model_config = SettingsConfigDict(env_prefix="QUERY_", frozen=True, extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8001
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="uvicorn worker processes sharing the port, each with its own read model",
    )
    default_timeout_ms: int = Field(default=10_000, ge=0, le=60_000)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    store: Literal["memory", "rocksdb"] = Field(default="memory", description="where order views live")
    store_dir: str = ".local/query-api"
    dead_letters_kept: int = Field(
        default=10_000,
        ge=1,
        description="how many of the newest dead letters the read model keeps (the topic keeps them all)",
    )
    lag_interval_s: float = Field(
        default=3.0,
        gt=0,
        le=300,
        description="how often the dashboard's consumer lag is read from Kafka, at most",
    )
