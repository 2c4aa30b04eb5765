"""How the contract reaches its schemas: the schema registry, read from ``SCHEMA_*`` variables.

It lives with the contract (the bottom layer): every service and tool reads records through
``schemas.serdes`` with these settings; Kafka's own settings are the base layer's (``infra.settings``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class RegistrySettings(BaseSettings):
    """How records name their schema, read from ``SCHEMA_*`` variables.

    ``confluent``: Confluent wire format with ids from a registry speaking the Confluent REST API;
    ``single-object``: Avro single-object encoding resolved from the schemas/ store (no registry).
    """

    model_config = SettingsConfigDict(
        env_prefix="SCHEMA_", frozen=True, extra="ignore", hide_input_in_errors=True
    )

    format: Literal["confluent", "single-object"] = "confluent"
    registry_url: str = "http://127.0.0.1:8081/apis/ccompat/v7"
    auto_register: bool = True
    registry_username: str | None = None
    registry_password: SecretStr | None = None

    def auth(self) -> tuple[str, str] | None:
        """Basic-auth credentials for the registry, if configured."""
        if self.registry_username is None or self.registry_password is None:
            return None
        return (self.registry_username, self.registry_password.get_secret_value())
