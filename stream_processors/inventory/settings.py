"""Settings of the inventory processor, read from ``INVENTORY_*``."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from stream_processors.common.settings import ProcessorSettings


class InventorySettings(ProcessorSettings):
    """The inventory processor's knobs."""

    model_config = SettingsConfigDict(env_prefix="INVENTORY_", frozen=True, extra="ignore")

    web_port: int = 8103
    reference_wait_s: float = Field(default=5.0, ge=0, description="reference data first: bounded wait")
