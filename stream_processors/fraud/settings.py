"""Settings of the fraud processor, read from ``FRAUD_*``."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from stream_processors.common.settings import ProcessorSettings


class FraudSettings(ProcessorSettings):
    """The FRAUD check's knobs."""

    model_config = SettingsConfigDict(env_prefix="FRAUD_", frozen=True, extra="ignore")

    web_port: int = 8104
    limit_cents: int = Field(default=200_000, ge=1, description="a customer's window total must stay below")
    window_s: float = Field(default=3600.0, gt=0, description="the trailing window, by placed_at")
