"""A Faust worker's logging set-up writes the format LOG_FORMAT asks for."""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Iterator

import pytest

from infra.logs import ConsoleFormatter, JsonFormatter
from infra.settings import LogSettings
from stream_processors.common.worker import logging_config


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, given back as it was after the test's dictConfig (and the loggers it tunes)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    tuned = {name: logging.getLogger(name).level for name in ("aiokafka", "httpx", "faust")}
    yield root
    for name, tuned_level in tuned.items():
        logging.getLogger(name).setLevel(tuned_level)
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(
    ("log_format", "formatter"), [("json", JsonFormatter), ("console", ConsoleFormatter)]
)
def test_worker_logs_in_the_format_asked(
    root_logger: logging.Logger, log_format: str, formatter: type[logging.Formatter]
) -> None:
    logs = LogSettings.model_validate({"format": log_format})
    logging.config.dictConfig(logging_config("orders", "INFO", logs))
    assert [type(h.formatter) for h in root_logger.handlers] == [formatter]
    assert getattr(root_logger.handlers[0].formatter, "service", None) == "orders"
