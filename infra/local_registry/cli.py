"""Command line: ``python -m infra.local_registry assemble|start|stop|status``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from infra.local_registry import launcher
from infra.local_registry.exceptions import LocalRegistryError

EXIT_ERROR = 1
EXIT_NOT_RUNNING = 3


def _parser() -> argparse.ArgumentParser:
    """Build the argument parser."""
    parser = argparse.ArgumentParser(prog="python -m infra.local_registry", description=__doc__)
    parser.add_argument("command", choices=["assemble", "start", "stop", "status"])
    parser.add_argument("--force", action="store_true", help="assemble: unpack again even if current")
    parser.add_argument("--timeout", type=float, default=None, help="seconds to wait (start/stop)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    return parser


def _print_status() -> int:
    """Write one status line; return 0 if the registry answers, else EXIT_NOT_RUNNING."""
    st = launcher.status()
    pid = str(st.pid) if st.pid is not None else "-"
    api = "answers" if st.answers else "silent"
    sys.stdout.write(f"registry {st.state:<9} pid={pid:<8} {st.url} storage={st.storage or '-'} api={api}\n")
    return 0 if st.running else EXIT_NOT_RUNNING


def _dispatch(args: argparse.Namespace) -> int:
    """Run the selected command and return the exit code."""
    if args.command == "assemble":
        sys.stdout.write(f"{launcher.assemble(force=args.force)}\n")
    elif args.command == "start":
        sys.stdout.write(f"{launcher.start(args.timeout or launcher.START_TIMEOUT_S)}\n")
    elif args.command == "stop":
        launcher.stop(args.timeout or launcher.STOP_TIMEOUT_S)
    else:
        return _print_status()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per readiness probe otherwise
    try:
        return _dispatch(args)
    except LocalRegistryError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_ERROR
