"""Settings of the orders processor, read from ``ORDERS_*``."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from stream_processors.common.settings import ProcessorSettings


class OrdersSettings(ProcessorSettings):
    """The order state machine's knobs."""

    model_config = SettingsConfigDict(env_prefix="ORDERS_", frozen=True, extra="ignore")

    web_port: int = 8101
    validation_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="how long a check may answer nothing, or leave an order behind later ones, before "
        "the order fails with VALIDATION_TIMEOUT (SPEC §3: time spent on earlier orders does not count)",
    )
    hold_unmatched_s: float = Field(default=600.0, gt=0, description="payments/actions for unknown orders")
    tick_interval_s: float = Field(default=1.0, gt=0)
