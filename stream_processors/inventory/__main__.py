"""``python -m stream_processors.inventory worker``: run one worker of the inventory processor."""

from stream_processors.common.worker import run_worker
from stream_processors.inventory.app import SERVICE, create_app
from stream_processors.inventory.settings import InventorySettings

settings = InventorySettings()
run_worker(create_app(settings), SERVICE, settings.log_level, settings.logs)
