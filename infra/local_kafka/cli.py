"""Command line: ``python -m infra.local_kafka assemble|start|stop|status|reset [--cluster]``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from infra.local_kafka import launcher
from infra.local_kafka.assemble import assemble
from infra.local_kafka.exceptions import LocalKafkaError

EXIT_ERROR = 1
EXIT_NOT_RUNNING = 3


def _parser() -> argparse.ArgumentParser:
    """Build the argument parser."""
    parser = argparse.ArgumentParser(prog="python -m infra.local_kafka", description=__doc__)
    parser.add_argument("command", choices=["assemble", "start", "stop", "status", "reset"])
    parser.add_argument("--cluster", action="store_true", help="act on the 3-node cluster")
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


def _dispatch(args: argparse.Namespace) -> int:
    """Run the selected command and return the exit code."""
    cluster: bool = args.cluster
    if args.command == "assemble":
        sys.stdout.write(f"{assemble()}\n")
    elif args.command == "start":
        start = launcher.start_cluster if cluster else launcher.start_single
        bootstrap = start(args.timeout or launcher.START_TIMEOUT_S)
        sys.stdout.write(f"{bootstrap}\n")
    elif args.command == "stop":
        stop = launcher.stop_cluster if cluster else launcher.stop_single
        stop(args.timeout or launcher.STOP_TIMEOUT_S)
    elif args.command == "reset":
        (launcher.reset_cluster if cluster else launcher.reset_single)()
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
