"""``python -m stream_processors.fraud worker``: run one worker of the fraud processor."""

from stream_processors.common.worker import run_worker
from stream_processors.fraud.app import SERVICE, create_app
from stream_processors.fraud.settings import FraudSettings

settings = FraudSettings()
run_worker(create_app(settings), SERVICE, settings.log_level, settings.logs)
