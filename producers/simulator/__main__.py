"""``python -m producers.simulator --rate R --duration S``: realistic traffic through ingest-api."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from rich.console import Console

from producers.simulator.mix import Mix
from producers.simulator.runner import KeyRefused, run


def main() -> int:
    """Parse arguments, run, print what each kind of call got; exit 1 if nothing was accepted."""
    parser = argparse.ArgumentParser(prog="python -m producers.simulator", description=__doc__)
    parser.add_argument("--rate", type=float, default=20.0, help="calls per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds to run")
    parser.add_argument("--ingest", default="http://127.0.0.1:8000", help="ingest-api base URL")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--skus", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--api-key-env",
        default="SIMULATOR_API_KEY",
        help="environment variable holding the API key to send, when ingest-api requires one "
        "(never a command-line argument: those show in process lists)",
    )
    args = parser.parse_args()
    if args.rate <= 0 or args.duration <= 0:
        parser.error("--rate and --duration must be positive")
    if args.customers < 1 or args.skus < 1:
        parser.error("--customers and --skus must be at least 1")
    console = Console(stderr=True)
    mix = Mix(customers=args.customers, skus=args.skus, seed=args.seed)
    api_key = os.environ.get(args.api_key_env) or None
    try:
        tally = asyncio.run(run(args.ingest, args.rate, args.duration, mix, console, api_key=api_key))
    except KeyRefused as refused:
        console.print(f"[red]{refused}[/red]")
        return 2
    console.print(dict(sorted(tally.kinds.items())))
    return 0 if tally.accepted else 1


if __name__ == "__main__":
    sys.exit(main())
