"""Settings of the notifications processor, read from ``NOTIFY_*``."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from stream_processors.common.settings import ProcessorSettings


class NotifySettings(ProcessorSettings):
    """Where the notifications processor answers, and how long it waits for an unknown customer."""

    model_config = SettingsConfigDict(env_prefix="NOTIFY_", frozen=True, extra="ignore")

    web_port: int = 8105
    customer_wait_s: float = Field(
        default=5.0, gt=0, description="read customers up to their end before giving up on an address"
    )
