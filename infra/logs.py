"""Logs to stderr, naming the service: JSON lines for machines, or readable lines for people.

``LOG_FORMAT`` (:class:`infra.settings.LogSettings`) chooses: ``json`` (the default) or ``console``.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime, tzinfo
from typing import IO

import orjson

from infra.services import SERVICES
from infra.settings import LogSettings

_STANDARD = set(vars(logging.makeLogRecord({})))
# color_message: uvicorn's copy of the message with terminal colours; message and asctime: set on
# the record by any standard Formatter that saw it first.
_NOT_EXTRAS = _STANDARD | {"color_message", "message", "asctime"}
# CSI sequences (colours, cursor moves), OSC sequences (titles, links) and two-byte escapes
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
SERVICE_WIDTH = max(len(s.name) for s in SERVICES)  # so that lines of every service align
LEVEL_WIDTH = len("WARNING")
_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_LEVEL_COLOURS = {
    "DEBUG": "\x1b[2m",
    "INFO": "\x1b[32m",
    "WARNING": "\x1b[33m",
    "ERROR": "\x1b[31m",
    "CRITICAL": "\x1b[1;31m",
}


def strip_ansi(text: str) -> str:
    """``text`` without terminal escape sequences (nor any stray escape character)."""
    return _ANSI.sub("", text).replace("\x1b", "")


def extras(record: logging.LogRecord) -> dict[str, object]:
    """The fields the caller passed in ``extra=``, in the order given."""
    return {k: v for k, v in vars(record).items() if k not in _NOT_EXTRAS}


def _without_escapes(value: object) -> object:
    """``value`` with terminal escapes removed from every string in it."""
    if isinstance(value, str):
        return strip_ansi(value)
    if isinstance(value, dict):
        return {k: _without_escapes(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_escapes(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line with the service name and any ``extra`` fields.

    No terminal escape ever reaches the JSON: uvicorn's ``color_message`` is dropped and escapes are
    stripped from the message, the extras and the traceback.
    """

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        """Render the record, its extras and its exception as JSON."""
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update(extras(record))
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        clean = {k: _without_escapes(v) for k, v in payload.items()}
        return orjson.dumps(clean, default=lambda v: strip_ansi(str(v))).decode()


def _logfmt(value: object) -> str:
    """``value`` as the right side of ``key=value``: quoted when empty or holding spaces, quotes or ``=``."""
    text = value if isinstance(value, str) else str(value)
    if not text or any(c.isspace() or c in '"=' for c in text):
        return orjson.dumps(text).decode()
    return text


class ConsoleFormatter(logging.Formatter):
    """Formats a record as one line for a person: time, service, level, message, then ``key=value``.

    ``tz`` is the clock shown (None: this machine's local time). Without ``colour`` the line holds no
    terminal escape at all, even when the message had some.
    """

    def __init__(
        self, service: str, colour: bool = False, tz: tzinfo | None = None, width: int = SERVICE_WIDTH
    ) -> None:
        super().__init__()
        self.service = service
        self.colour = colour
        self.tz = tz
        self.width = width

    def format(self, record: logging.LogRecord) -> str:
        """Render the record on one line; a traceback or stack follows on the next lines."""
        clock = datetime.fromtimestamp(record.created, self.tz).time().isoformat(timespec="milliseconds")
        level = record.levelname.ljust(LEVEL_WIDTH)
        if self.colour:
            clock = f"{_DIM}{clock}{_RESET}"
            level = f"{_LEVEL_COLOURS.get(record.levelname, '')}{level}{_RESET}"
        fields = [f"{key}={_logfmt(value)}" for key, value in extras(record).items()]
        line = " ".join([clock, self.service.ljust(self.width), level, record.getMessage(), *fields])
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line if self.colour else strip_ansi(line)


def wants_colour(stream: IO[str], no_color: str) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` holds anything."""
    if no_color:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def formatter_for(service: str, logs: LogSettings, stream: IO[str] | None = None) -> logging.Formatter:
    """The formatter ``logs`` asks for, for records written to ``stream`` (stderr by default)."""
    if logs.format == "console":
        return ConsoleFormatter(service, colour=wants_colour(stream or sys.stderr, logs.no_color))
    return JsonFormatter(service)


def configure_logging(service: str, level: str = "INFO", logs: LogSettings | None = None) -> None:
    """Send every logger's records to stderr, tagged with ``service``, in the format ``logs`` chooses."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_for(service, logs or LogSettings(), sys.stderr))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
