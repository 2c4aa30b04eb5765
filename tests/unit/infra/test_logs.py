"""Both log formats, line for line: JSON for machines (never a terminal escape), console for people."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import orjson
import pytest
from pydantic import ValidationError

from infra.logs import (
    SERVICE_WIDTH,
    ConsoleFormatter,
    JsonFormatter,
    configure_logging,
    formatter_for,
    strip_ansi,
)
from infra.services import SERVICES
from infra.settings import LogSettings, ServiceSettings

CREATED = datetime(2026, 11, 30, 9, 5, 7, 123_000, tzinfo=UTC).timestamp()
GREEN, RESET = "\x1b[32m", "\x1b[0m"


def record(msg: str, *args: object, level: int = logging.INFO, **extra: object) -> logging.LogRecord:
    """A record as ``logger.log(level, msg, *args, extra=extra)`` makes it, at a fixed time."""
    fields = {"name": "orders.agents", "levelno": level, "levelname": logging.getLevelName(level)}
    return logging.makeLogRecord({**fields, "msg": msg, "args": args, "created": CREATED, **extra})


def uvicorn_started() -> logging.LogRecord:
    """What uvicorn logs at start: its message, plus a coloured copy in ``color_message``."""
    return record(
        "Started server process [%d]",
        4242,
        color_message="Started server process [\x1b[36m%d\x1b[0m]",
    )


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Yes."""
        return True


# JSON -------------------------------------------------------------------------------------------


def test_json_line_names_service_logger_and_extras_in_order() -> None:
    line = JsonFormatter("orders").format(record("order %s placed", "o1", topic="orders", partition=2))
    assert line == (
        '{"ts":"2026-11-30T09:05:07.123+00:00","level":"INFO","service":"orders",'
        '"logger":"orders.agents","msg":"order o1 placed","topic":"orders","partition":2}'
    )


def test_json_drops_uvicorn_colour_message() -> None:
    line = JsonFormatter("ingest-api").format(uvicorn_started())
    assert orjson.loads(line) == {
        "ts": "2026-11-30T09:05:07.123+00:00",
        "level": "INFO",
        "service": "ingest-api",
        "logger": "orders.agents",
        "msg": "Started server process [4242]",
    }


def test_json_has_no_escape_even_when_message_extras_and_traceback_have_colour() -> None:
    try:
        raise ValueError(f"{GREEN}bad{RESET}")
    except ValueError:
        exc_info = sys.exc_info()
    coloured = record(
        f"{GREEN}Uvicorn running{RESET} on %s",
        f"\x1b[1mhttp://127.0.0.1:8000{RESET}",
        error=f"\x1b[31mboom{RESET}",
        ids=[f"\x1b[1ma{RESET}", ("\x1b]0;title\x07b",)],
        exc_info=exc_info,
    )
    line = JsonFormatter("ingest-api").format(coloured)
    assert "\x1b" not in line
    assert "\\u001b" not in line  # orjson's spelling of the escape character
    payload = orjson.loads(line)
    assert payload["msg"] == "Uvicorn running on http://127.0.0.1:8000"
    assert payload["error"] == "boom"
    assert payload["ids"] == ["a", ["b"]]
    assert payload["exc"].splitlines()[-1] == "ValueError: bad"


def test_json_leaves_out_what_an_earlier_formatter_set_on_the_record() -> None:
    seen = record("order %s placed", "o1")
    logging.Formatter("%(asctime)s %(message)s").format(seen)  # pytest's caplog does this first
    assert set(orjson.loads(JsonFormatter("orders").format(seen))) == {
        "ts",
        "level",
        "service",
        "logger",
        "msg",
    }


def test_strip_ansi_removes_csi_osc_and_stray_escapes() -> None:
    assert (
        strip_ansi("\x1b[1;31mred\x1b[0m \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x1bMx\x1b") == "red link x"
    )


# console ----------------------------------------------------------------------------------------


def test_console_line_is_time_service_level_message_then_extras() -> None:
    line = ConsoleFormatter("orders", tz=UTC, width=13).format(
        record("order %s placed", "o1", topic="orders", partition=2, offset=41)
    )
    assert line == "09:05:07.123 orders        INFO    order o1 placed topic=orders partition=2 offset=41"


def test_console_quotes_values_with_spaces_quotes_or_equals_and_empty_ones() -> None:
    line = ConsoleFormatter("ingest-api", tz=UTC, width=10).format(
        record(
            "publish failed",
            level=logging.WARNING,
            error="KafkaConnectionError('Unable to bootstrap')",
            reason='say "no" = 1',
            note="",
            count=3,
        )
    )
    assert line == (
        "09:05:07.123 ingest-api WARNING publish failed"
        ' error="KafkaConnectionError(\'Unable to bootstrap\')" reason="say \\"no\\" = 1"'
        ' note="" count=3'
    )


def test_console_pads_service_to_the_longest_service_name() -> None:
    assert SERVICE_WIDTH == max(len(s.name) for s in SERVICES) == len("order-details")
    line = ConsoleFormatter("fraud", tz=UTC).format(record("limit %d", 5000, level=logging.ERROR))
    assert line == "09:05:07.123 fraud         ERROR   limit 5000"


def test_console_drops_colour_message_and_strips_escapes_without_colour() -> None:
    formatter = ConsoleFormatter("query-api", tz=UTC, width=9)
    assert (
        formatter.format(uvicorn_started()) == "09:05:07.123 query-api INFO    Started server process [4242]"
    )
    assert formatter.format(record(f"{GREEN}ready{RESET}", where=f"{GREEN}here{RESET}")) == (
        "09:05:07.123 query-api INFO    ready where=here"
    )


def test_console_colours_time_and_level_when_asked() -> None:
    line = ConsoleFormatter("orders", colour=True, tz=UTC, width=6).format(
        record("disk low", level=logging.WARNING, free_mib=12)
    )
    assert line == "\x1b[2m09:05:07.123\x1b[0m orders \x1b[33mWARNING\x1b[0m disk low free_mib=12"


def test_console_puts_the_traceback_on_the_following_lines() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        failed = record("apply failed", level=logging.ERROR, offset=7, exc_info=sys.exc_info())
    lines = ConsoleFormatter("orders", tz=UTC, width=6).format(failed).splitlines()
    assert lines[0] == "09:05:07.123 orders ERROR   apply failed offset=7"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: bad"


# the setting --------------------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No LOG_FORMAT nor NO_COLOR from the environment running the tests."""
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return monkeypatch


def test_log_format_defaults_to_json_and_is_shared_by_every_service(clean_env: pytest.MonkeyPatch) -> None:
    assert ServiceSettings().logs == LogSettings(format="json")
    assert isinstance(formatter_for("orders", LogSettings(), Terminal()), JsonFormatter)
    clean_env.setenv("LOG_FORMAT", "console")
    assert ServiceSettings().logs.format == "console"
    clean_env.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ValidationError):
        LogSettings()


def test_console_colour_only_on_a_terminal(clean_env: pytest.MonkeyPatch) -> None:
    warning = record("disk low", level=logging.WARNING)
    on_tty = formatter_for("orders", LogSettings(format="console"), Terminal())
    on_pipe = formatter_for("orders", LogSettings(format="console"), io.StringIO())
    assert "\x1b[33mWARNING\x1b[0m" in on_tty.format(warning)
    assert "\x1b" not in on_pipe.format(warning)


@pytest.mark.parametrize(("no_color", "coloured"), [("1", False), ("anything", False), ("", True)])
def test_no_color_turns_colour_off_when_set_to_anything(
    clean_env: pytest.MonkeyPatch, no_color: str, coloured: bool
) -> None:
    clean_env.setenv("NO_COLOR", no_color)
    line = formatter_for("orders", LogSettings(format="console"), Terminal()).format(record("hi"))
    assert ("\x1b" in line) is coloured


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, given back as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_configure_logging_uses_the_format_asked(
    clean_env: pytest.MonkeyPatch, root_logger: logging.Logger
) -> None:
    configure_logging("query-api", "DEBUG", LogSettings(format="console"))
    assert [type(h.formatter) for h in root_logger.handlers] == [ConsoleFormatter]
    assert root_logger.level == logging.DEBUG
    clean_env.setenv("LOG_FORMAT", "json")
    configure_logging("query-api")
    assert [type(h.formatter) for h in root_logger.handlers] == [JsonFormatter]
