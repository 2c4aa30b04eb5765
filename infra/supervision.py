"""What ``make up`` asks of supervisord: its programs, their restart policy, its config file.

Supervisor (supervisord, PyPI ``supervisor``) runs the services, chosen over the other two candidates:

- honcho, the runner before it, stops every process when any one exits: it has no restart at all.
- circus respawns a dead process at once, its only brake being a "flapping" plugin that stops the
  watcher; it needs pyzmq, tornado and psutil, and ZeroMQ endpoints to control it.
- supervisord is long-standing and maintained (4.3.0 in 2025), pure Python with no dependency, and
  has every policy needed, per program: restart always (``autorestart=true``) or only on unexpected
  exit codes (``unexpected`` + ``exitcodes``, for the simulator); back-off for a program that exits
  before it has run ``startsecs`` (1 s, 2 s, 3 s, ... then ``FATAL`` after ``startretries``), while
  one that had run that long is restarted at its next tick (about 1 s); SIGTERM, then SIGKILL after
  ``stopwaitsecs``, to the process group; and ``supervisorctl`` for people.

Everything here is pure: the config is text made from :data:`infra.services.SERVICES`;
:mod:`infra.supervision_log` tells supervisord's lines, :mod:`infra.up_supervisor` runs it.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from infra.services import SERVICES
from schemas.exceptions import ShopStreamError

GROUP = "shopstream"  # one group: supervisord stops the programs of a group together, not one by one
SIMULATOR = "simulator"
SIMULATOR_KEY_ENV = "SIMULATOR_API_KEY"
RESTART_TICK_S = 1  # supervisord restarts an exited program at its next tick, once a second
LOG_MAX_BYTES = "20MB"  # each service's log file is rotated past this size, two old ones kept
_UNSAFE = re.compile(r"[\r\n]|\s[;#]")  # a line break, or what its INI parser takes for a comment
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.~+/=-]+")  # what survives its KEY="value" parser as it is


class SupervisionError(ShopStreamError):
    """A value cannot be written into supervisord's config as it is."""


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """When supervisord restarts a program, how long it waits, and how it stops it."""

    autorestart: Literal["true", "unexpected"] = "true"
    exitcodes: tuple[int, ...] = (0,)  # the exit codes "expected": with ``unexpected``, not restarted
    startsecs: int = 10  # an exit sooner is a failed start: back-off of 1 s, 2 s, ... before the next
    startretries: int = 10  # failed starts in a row, after which it is left stopped (FATAL)
    stopwaitsecs: int = 10  # SIGTERM, then SIGKILL after this long


# A processor needs a few seconds to join its group; one that dies sooner backs off, 55 s in all.
SERVICE_POLICY = RestartPolicy()
# The simulator ends by itself (0), or at once for a refused API key (2), which no restart mends.
SIMULATOR_POLICY = RestartPolicy(autorestart="unexpected", exitcodes=(0, 2), startsecs=1, startretries=5)


@dataclass(frozen=True, slots=True)
class Program:
    """One process supervisord runs: its name, command line, policy and any variables of its own."""

    name: str
    argv: tuple[str, ...]
    policy: RestartPolicy = SERVICE_POLICY
    environment: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Layout:
    """Where supervisord's files go for one ``make up`` (``.local/up/`` by default)."""

    root: Path

    @property
    def config(self) -> Path:
        """The generated config file (mode 0600: it holds this run's supervisorctl password)."""
        return self.root / "supervisord.conf"

    @property
    def socket(self) -> Path:
        """The UNIX socket supervisorctl talks to."""
        return self.root / "supervisor.sock"

    @property
    def pidfile(self) -> Path:
        """supervisord's pid, while it runs."""
        return self.root / "supervisord.pid"

    @property
    def logs(self) -> Path:
        """The folder of the programs' log files, emptied at each start."""
        return self.root / "logs"

    def log(self, name: str) -> Path:
        """The file program ``name`` writes its output to (stdout and stderr)."""
        return self.logs / f"{name}.log"


def programs(environ: Mapping[str, str], python: str = sys.executable) -> tuple[Program, ...]:
    """Every service of infra.services, then the simulator unless ``SIMULATOR_RATE`` is 0.

    The simulator alone gets ``SIMULATOR_API_KEY`` when ``environ`` has one; it sends its calls to
    ingest-api on the port ingest-api reads from ``environ``.
    """
    services = tuple(Program(s.name, tuple(s.argv(python))) for s in SERVICES)
    rate = environ.get("SIMULATOR_RATE", "5")
    if float(rate) <= 0:
        return services
    ingest = next(s for s in SERVICES if s.module == "producers.ingest_api")
    argv = (python, "-m", "producers.simulator", "--rate", rate, "--duration", "86400")
    key = environ.get(SIMULATOR_KEY_ENV)
    simulator = Program(
        SIMULATOR,
        (*argv, "--ingest", ingest.base_url(environ)),
        SIMULATOR_POLICY,
        ((SIMULATOR_KEY_ENV, key),) if key else (),
    )
    return (*services, simulator)


def _value(text: str) -> str:
    """``text`` as an INI value of supervisord: ``%`` doubled (it expands ``%(name)s``)."""
    if _UNSAFE.search(text):
        raise SupervisionError(f"cannot write {text!r} into supervisord's config (line break or comment)")
    return text.replace("%", "%%")


def _environment(pairs: Sequence[tuple[str, str]]) -> str:
    """``KEY="value",...`` for supervisord, refusing values its shlex-based parser would change."""
    for name, value in pairs:
        if not _PLAIN_VALUE.fullmatch(value):
            raise SupervisionError(f"{name} may hold only letters, digits and -_.~+/= for supervisord")
    return ",".join(f'{name}="{value}"' for name, value in pairs)


def program_section(program: Program, layout: Layout, directory: Path) -> list[str]:
    """The ``[program:name]`` lines: command, policy, output to its own log file."""
    policy = program.policy
    lines = [
        f"[program:{program.name}]",
        f"command={_value(shlex.join(program.argv))}",
        f"directory={_value(str(directory))}",
        f"autorestart={policy.autorestart}",
        f"exitcodes={','.join(map(str, policy.exitcodes))}",
        f"startsecs={policy.startsecs}",
        f"startretries={policy.startretries}",
        "stopsignal=TERM",
        f"stopwaitsecs={policy.stopwaitsecs}",
        "stopasgroup=true",
        "killasgroup=true",
        "redirect_stderr=true",
        f"stdout_logfile={_value(str(layout.log(program.name)))}",
        f"stdout_logfile_maxbytes={LOG_MAX_BYTES}",
        "stdout_logfile_backups=2",
    ]
    if program.environment:
        lines.append(f"environment={_value(_environment(program.environment))}")
    return lines


def render_config(progs: Sequence[Program], layout: Layout, directory: Path, password: str, uid: int) -> str:
    """supervisord's whole config: in the foreground, its own lines on stdout, every program in a group.

    ``uid`` is the user already running (``user=`` it so that supervisord drops nothing and says so);
    ``password`` guards the control socket for this run, whose file only that user can open.
    """
    ctl = [f"serverurl=unix://{_value(str(layout.socket))}", "username=shopstream", f"password={password}"]
    head = [
        "; written by python -m infra.up from infra/services.py at each start: edits are lost",
        "[supervisord]",
        "nodaemon=true",
        "logfile=/dev/null",  # its lines go to stdout (nodaemon), where infra.up reads them
        "logfile_maxbytes=0",
        "loglevel=info",  # the spawned/success/exited lines the Narrator follows are INFO
        f"pidfile={_value(str(layout.pidfile))}",
        f"childlogdir={_value(str(layout.logs))}",
        f"user={uid}",
        "",
        "[unix_http_server]",
        f"file={_value(str(layout.socket))}",
        "chmod=0700",
        *ctl[1:],
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        *ctl,
        "",
        f"[group:{GROUP}]",
        f"programs={','.join(p.name for p in progs)}",
    ]
    sections = [line for p in progs for line in ["", *program_section(p, layout, directory)]]
    return "\n".join([*head, *sections, ""])
