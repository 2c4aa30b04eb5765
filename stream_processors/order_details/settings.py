"""Settings of the order-details processor, read from ``DETAILS_*``."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from stream_processors.common.settings import ProcessorSettings


class DetailsSettings(ProcessorSettings):
    """The DETAILS check's knobs."""

    model_config = SettingsConfigDict(env_prefix="DETAILS_", frozen=True, extra="ignore")

    web_port: int = 8102
    reference_wait_s: float = Field(
        default=5.0, ge=0, description="how long to read customers up to their end before failing an order"
    )
