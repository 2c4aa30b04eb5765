"""Settings of ingest-api, read from ``INGEST_*`` (Kafka from ``KAFKA_*``)."""

from typing import Annotated

from pydantic import AnyHttpUrl, Field, StringConstraints
from pydantic_settings import SettingsConfigDict

from infra.api_keys import DIGEST_PATTERN
from infra.settings import ServiceSettings

KeyName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
KeyDigest = Annotated[str, StringConstraints(pattern=DIGEST_PATTERN, to_lower=True)]


class IngestSettings(ServiceSettings):
    """How ingest-api listens, where its orders can be queried, and how long it waits for Kafka.

    ``api_keys`` (``INGEST_API_KEYS``, JSON ``{"name": "<sha-256 hex of the key>"}``): when not
    empty, every ``/v1`` call needs one of these keys; the keys themselves are never configured.
    """

    # hide_input_in_errors: a misconfigured value (say a plaintext key) is never echoed in an error
    model_config = SettingsConfigDict(
        env_prefix="INGEST_", frozen=True, extra="ignore", hide_input_in_errors=True
    )

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes sharing the port")
    query_base_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8001")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    publish_timeout_s: float = Field(default=10.0, gt=0)
    retry_after_s: int = Field(default=5, ge=1)
    api_keys: dict[KeyName, KeyDigest] = Field(default_factory=dict)
