"""``python -m stream_processors.notifications worker``: run one worker of the notifications processor."""

from stream_processors.common.worker import run_worker
from stream_processors.notifications.app import SERVICE, create_app
from stream_processors.notifications.settings import NotifySettings

settings = NotifySettings()
run_worker(create_app(settings), SERVICE, settings.log_level, settings.logs)
