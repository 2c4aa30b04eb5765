"""Settings of the analytics processor, read from ``ANALYTICS_*``."""

from pydantic_settings import SettingsConfigDict

from stream_processors.common.settings import ProcessorSettings


class AnalyticsSettings(ProcessorSettings):
    """The analytics processor's knobs."""

    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", frozen=True, extra="ignore")

    web_port: int = 8106
