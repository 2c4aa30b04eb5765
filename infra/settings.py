"""Settings shared by every service: how to reach Kafka, and how services log.

Each service has its own settings class (its own env prefix) that nests :class:`KafkaSettings`,
so the Kafka client options are built in exactly one place.
"""

from __future__ import annotations

import ssl
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.settings import RegistrySettings

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class KafkaSettings(BaseSettings):
    """Connection to the Kafka cluster, read from ``KAFKA_*`` variables."""

    # hide_input_in_errors: a secret put in the wrong variable is never echoed by a validation error
    model_config = SettingsConfigDict(
        env_prefix="KAFKA_", frozen=True, extra="ignore", hide_input_in_errors=True
    )

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None
    topic_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$")
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    request_timeout_ms: int = Field(default=10_000, ge=1000)

    @property
    def servers(self) -> list[str]:
        """The bootstrap servers as a list of ``host:port``."""
        return [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()]

    def ssl_context(self) -> ssl.SSLContext | None:
        """A TLS context for SSL protocols, trusting ``ssl_cafile`` when given."""
        if not self.security_protocol.endswith("SSL"):
            return None
        return ssl.create_default_context(cafile=self.ssl_cafile)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments common to every aiokafka client."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.servers,
            "security_protocol": self.security_protocol,
            "request_timeout_ms": self.request_timeout_ms,
        }
        if self.security_protocol.endswith("SSL"):
            options["ssl_context"] = self.ssl_context()
        if self.security_protocol.startswith("SASL"):
            options["sasl_mechanism"] = self.sasl_mechanism or "SCRAM-SHA-512"
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        return options

    def producer_options(self) -> dict[str, Any]:
        """Options for a producer whose acknowledged writes are durable: acks=all, idempotent."""
        return {
            **self.client_options(),
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": 2,
            "max_batch_size": 256 * 1024,
        }


class LogSettings(BaseSettings):
    """How every service writes its logs, read from ``LOG_FORMAT`` and ``NO_COLOR``.

    ``json`` (the default, for containers and log collectors): one JSON object per line;
    ``console`` (what ``make up`` sets): one readable line per record, coloured on a terminal.
    """

    model_config = SettingsConfigDict(env_prefix="LOG_", frozen=True, extra="ignore")

    format: Literal["json", "console"] = "json"
    no_color: str = Field(
        default="",
        validation_alias="NO_COLOR",
        description="any non-empty value turns colour off (https://no-color.org)",
    )


class ServiceSettings(BaseSettings):
    """Fields every service has; subclasses set their own env prefix."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    logs: LogSettings = Field(default_factory=LogSettings)
    log_level: str = "INFO"
