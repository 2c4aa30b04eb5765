"""``python -m stream_processors.order_details worker``: run one worker of the order-details processor."""

from stream_processors.common.worker import run_worker
from stream_processors.order_details.app import SERVICE, create_app
from stream_processors.order_details.settings import DetailsSettings

settings = DetailsSettings()
run_worker(create_app(settings), SERVICE, settings.log_level, settings.logs)
