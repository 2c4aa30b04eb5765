"""Settings of ingest-api, read from ``INGEST_*`` (Kafka from ``KAFKA_*``)."""

from pydantic import AnyHttpUrl, Field
from pydantic_settings import SettingsConfigDict

from infra.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    """How ingest-api listens, where its orders can be queried, and how long it waits for Kafka."""

    model_config = SettingsConfigDict(env_prefix="INGEST_", frozen=True, extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    query_base_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8001")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    publish_timeout_s: float = Field(default=10.0, gt=0)
    retry_after_s: int = Field(default=5, ge=1)
