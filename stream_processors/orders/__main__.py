"""``python -m stream_processors.orders worker``: run one worker of the orders processor."""

from stream_processors.common.worker import run_worker
from stream_processors.orders.app import SERVICE, create_app
from stream_processors.orders.settings import OrdersSettings

settings = OrdersSettings()
run_worker(create_app(settings), SERVICE, settings.log_level, settings.logs)
