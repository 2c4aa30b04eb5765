"""Command line: ``python -m infra.local_kafka assemble|start|stop|status|reset [--cluster|--secure]``.

``reset`` also clears the processors' local table state (``PROCESSOR_DATA_DIR``): a table store
kept across a reset would be ahead of its new, empty changelog.

``start --secure`` starts a fresh SASL_SSL node with one SCRAM user (``shopstream``, random
password) and writes the ``KAFKA_*`` settings reaching it to ``<node dir>/client.env`` (mode 0600);
the password is never printed.

``SHOPSTREAM_LOCAL_KAFKA_PORT`` moves the single node to another port (with data of its own);
``SHOPSTREAM_LOCAL_KAFKA_JMX_PORT`` starts it with remote JMX on 127.0.0.1 at that port (off by default).
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from infra.local_kafka import launcher, processor_state, secure
from infra.local_kafka.exceptions import LocalKafkaError
from stream_processors.common.settings import ProcessorSettings

EXIT_ERROR = 1
EXIT_NOT_RUNNING = 3
SECURE_USER = "shopstream"


def _parser() -> argparse.ArgumentParser:
    """Build the argument parser."""
    parser = argparse.ArgumentParser(prog="python -m infra.local_kafka", description=__doc__)
    parser.add_argument("command", choices=["assemble", "start", "stop", "status", "reset"])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--cluster", action="store_true", help="act on the 3-node cluster")
    where.add_argument("--secure", action="store_true", help="start/stop/status the SASL_SSL (SCRAM) node")
    parser.add_argument("--timeout", type=float, default=None, help="seconds to wait (start/stop)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    return parser


def _print_status(statuses: list[launcher.NodeStatus]) -> int:
    """Write one status line per node; return 0 if all run, else EXIT_NOT_RUNNING."""
    for st in statuses:
        pid = str(st.pid) if st.pid is not None else "-"
        port = "open" if st.port_open else "closed"
        sys.stdout.write(f"{st.name:<8} {st.state:<9} pid={pid:<8} {st.bootstrap} port={port}\n")
    return 0 if all(st.running for st in statuses) else EXIT_NOT_RUNNING


def _secure(args: argparse.Namespace) -> int:
    """Start (fresh), stop or report the secure node."""
    if args.command == "start":
        password = secrets.token_urlsafe(24)
        broker = secure.start_secure({SECURE_USER: password}, args.timeout or secure.START_TIMEOUT_S)
        env_file = broker.spec.directory / "client.env"
        env_file.touch(mode=0o600)
        lines = [f"{k}={v}" for k, v in broker.client_env(SECURE_USER, password).items()]
        env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        sys.stdout.write(f"{broker.bootstrap} (SASL_SSL, user {SECURE_USER}; settings in {env_file})\n")
    elif args.command == "stop":
        secure.stop_secure(args.timeout or secure.STOP_TIMEOUT_S)
    elif args.command == "status":
        running = secure.secure_running()
        sys.stdout.write(f"secure   {'running' if running else 'down'}\n")
        return 0 if running else EXIT_NOT_RUNNING
    else:
        sys.stderr.write(f"error: {args.command} is not available with --secure (every start is fresh)\n")
        return EXIT_ERROR
    return 0


def _report_cleared(root: Path, cleared: list[Path]) -> None:
    """Say which processor state the reset deleted along with the broker's data, and why."""
    if cleared:
        names = ", ".join(path.name for path in cleared)
        sys.stdout.write(
            f"cleared processor state in {root} ({names}): its changelogs went with Kafka's data\n"
        )
    else:
        sys.stdout.write(f"no processor state to clear in {root}\n")


def _dispatch(args: argparse.Namespace) -> int:
    """Run the selected command and return the exit code."""
    if args.secure:
        return _secure(args)
    cluster: bool = args.cluster
    if args.command == "assemble":
        sys.stdout.write(f"{launcher.assemble()}\n")
    elif args.command == "start":
        start = launcher.start_cluster if cluster else launcher.start_single
        bootstrap = start(args.timeout or launcher.START_TIMEOUT_S)
        sys.stdout.write(f"{bootstrap}\n")
    elif args.command == "stop":
        stop = launcher.stop_cluster if cluster else launcher.stop_single
        stop(args.timeout or launcher.STOP_TIMEOUT_S)
    elif args.command == "reset":
        state = Path(ProcessorSettings().data_dir).absolute()  # read before anything is deleted
        (launcher.reset_cluster if cluster else launcher.reset_single)()
        _report_cleared(state, processor_state.clear(state))
    else:
        return _print_status(launcher.status_cluster() if cluster else launcher.status_single())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return _dispatch(args)
    except LocalKafkaError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_ERROR
