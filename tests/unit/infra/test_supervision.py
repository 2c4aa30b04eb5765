"""supervisord's config for ``make up``, made from infra.services: programs, restart policy, every line."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from infra.services import SERVICES
from infra.supervision import (
    GROUP,
    SERVICE_POLICY,
    SIMULATOR_POLICY,
    Layout,
    Program,
    RestartPolicy,
    SupervisionError,
    programs,
    render_config,
)

PY = "/venv/bin/python"
LAYOUT = Layout(Path("/repo/.local/up"))
KEY = "Zq3_-fake-key-for-the-simulator-0123456789a"


def parsed(text: str) -> configparser.RawConfigParser:
    """``text`` read as supervisord reads it (``;`` and ``#`` after a space start a comment)."""
    parser = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    parser.read_string(text)
    return parser


def test_restart_policy_of_services_and_of_the_simulator() -> None:
    assert SERVICE_POLICY == RestartPolicy(
        autorestart="true", exitcodes=(0,), startsecs=10, startretries=10, stopwaitsecs=10
    )
    # exit 0: it ended by itself; exit 2: ingest-api refused its API key, which a restart cannot mend
    assert SIMULATOR_POLICY == RestartPolicy(
        autorestart="unexpected", exitcodes=(0, 2), startsecs=1, startretries=5, stopwaitsecs=10
    )


def test_programs_are_every_service_then_the_simulator() -> None:
    made = programs({}, python=PY)
    assert [p.name for p in made] == [*(s.name for s in SERVICES), "simulator"]
    assert made[2] == Program("orders", (PY, "-m", "stream_processors.orders", "worker"), SERVICE_POLICY)
    assert made[-1] == Program(
        "simulator",
        (PY, "-m", "producers.simulator", "--rate", "5", "--duration", "86400")
        + ("--ingest", "http://127.0.0.1:8000"),
        SIMULATOR_POLICY,
    )


def test_simulator_follows_ingest_port_and_alone_gets_the_key() -> None:
    made = programs({"SIMULATOR_RATE": "2.5", "INGEST_PORT": "9000", "SIMULATOR_API_KEY": KEY}, PY)
    simulator = made[-1]
    assert simulator.argv[4:] == ("2.5", "--duration", "86400", "--ingest", "http://127.0.0.1:9000")
    assert simulator.environment == (("SIMULATOR_API_KEY", KEY),)
    assert [p.environment for p in made[:-1]] == [()] * len(SERVICES)


def test_no_simulator_at_rate_zero() -> None:
    assert [p.name for p in programs({"SIMULATOR_RATE": "0"}, PY)] == [s.name for s in SERVICES]


def test_config_runs_in_the_foreground_with_one_group_and_a_guarded_socket() -> None:
    config = parsed(render_config(programs({}, PY), LAYOUT, Path("/repo"), "pw-123", uid=1000))
    assert dict(config["supervisord"]) == {
        "nodaemon": "true",
        "logfile": "/dev/null",
        "logfile_maxbytes": "0",
        "loglevel": "info",
        "pidfile": "/repo/.local/up/supervisord.pid",
        "childlogdir": "/repo/.local/up/logs",
        "user": "1000",
    }
    assert dict(config["unix_http_server"]) == {
        "file": "/repo/.local/up/supervisor.sock",
        "chmod": "0700",
        "username": "shopstream",
        "password": "pw-123",
    }
    assert dict(config["supervisorctl"]) == {
        "serverurl": "unix:///repo/.local/up/supervisor.sock",
        "username": "shopstream",
        "password": "pw-123",
    }
    assert config[f"group:{GROUP}"]["programs"] == ",".join([*(s.name for s in SERVICES), "simulator"])


def test_config_of_a_service_says_its_command_policy_and_log_file() -> None:
    config = parsed(render_config(programs({}, PY), LAYOUT, Path("/repo"), "pw", uid=0))
    assert dict(config["program:order-details"]) == {
        "command": f"{PY} -m stream_processors.order_details worker",
        "directory": "/repo",
        "autorestart": "true",
        "exitcodes": "0",
        "startsecs": "10",
        "startretries": "10",
        "stopsignal": "TERM",
        "stopwaitsecs": "10",
        "stopasgroup": "true",
        "killasgroup": "true",
        "redirect_stderr": "true",
        "stdout_logfile": "/repo/.local/up/logs/order-details.log",
        "stdout_logfile_maxbytes": "20MB",
        "stdout_logfile_backups": "2",
    }


def test_config_of_the_simulator_holds_its_key_and_its_policy() -> None:
    environ = {"SIMULATOR_API_KEY": KEY}
    config = parsed(render_config(programs(environ, PY), LAYOUT, Path("/repo"), "pw", uid=0))
    simulator = config["program:simulator"]
    assert (simulator["autorestart"], simulator["exitcodes"], simulator["startsecs"]) == (
        "unexpected",
        "0,2",
        "1",
    )
    assert simulator["environment"] == f'SIMULATOR_API_KEY="{KEY}"'
    assert all("environment" not in config[f"program:{s.name}"] for s in SERVICES)


def test_percent_signs_are_doubled_for_supervisords_expansion() -> None:
    odd = Program("odd", (PY, "-c", "print('100%')"))
    config = parsed(render_config([odd], Layout(Path("/srv/50%")), Path("/w"), "pw", uid=0))
    assert config["program:odd"]["command"] == shlex.join((PY, "-c", "print('100%%')"))
    assert config["program:odd"]["stdout_logfile"] == "/srv/50%%/logs/odd.log"


@pytest.mark.parametrize("argv", [(PY, "-c", "a\nb"), (PY, "-c", "x ;y"), (PY, "-c", "x #y")])
def test_values_supervisord_would_cut_short_are_refused(argv: tuple[str, ...]) -> None:
    with pytest.raises(SupervisionError, match="line break or comment"):
        render_config([Program("odd", argv)], LAYOUT, Path("/w"), "pw", uid=0)


def test_a_key_supervisords_parser_would_change_is_refused() -> None:
    with pytest.raises(SupervisionError, match="SIMULATOR_API_KEY may hold only"):
        render_config(programs({"SIMULATOR_API_KEY": 'a"b,c'}, PY), LAYOUT, Path("/w"), "pw", uid=0)
