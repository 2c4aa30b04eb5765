"""``python -m stream_processors.analytics worker``: run one worker of the analytics processor."""

from stream_processors.analytics.app import SERVICE, create_app
from stream_processors.analytics.settings import AnalyticsSettings
from stream_processors.common.worker import run_worker

settings = AnalyticsSettings()
run_worker(create_app(settings), SERVICE, settings.log_level, settings.logs)
