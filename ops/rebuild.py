"""``python -m ops rebuild SERVICE --to-earliest|--to-datetime WHEN [--dry-run]``: rebuild one stopped
processor from Kafka.

The plan (what moves, what is deleted, and why that is the meaning of each point) is
``ops.rebuild_plan``'s; the group's offsets are read and committed as ``ops.groups`` says. Steps, in
this order, each safe to run again: check that the group has no members, commit the new offsets
(the broker refuses them if a worker joined meanwhile), delete the changelog topics (earliest only),
delete the local store folders. A run that stops halfway is finished by running it again, before
the processor starts. Kafka comes from ``KAFKA_*``, the store folders from ``PROCESSOR_DATA_DIR``
(``stream_processors.common.settings``), as for the processors themselves.

Exit status: 0 done (or planned, with ``--dry-run``), 1 failed midway (run it again), 2 refused
(nothing changed): a running processor, an unknown service, a bad or future time, no offsets.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from ops import rebuild_plan
from ops.exceptions import OpsError
from ops.groups import commit_offsets, delete_topics, read_group
from ops.rebuild_plan import PROCESSORS, TP, Plan
from ops.when import parse_when, short_utc
from schemas.clock import now_ms
from stream_processors.common.settings import ProcessorSettings


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Register the ``rebuild`` command."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "rebuild",
        help="rebuild one stopped processor from Kafka",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("service", choices=PROCESSORS, help="the processor to rebuild")
    point = parser.add_mutually_exclusive_group(required=True)
    point.add_argument(
        "--to-earliest",
        action="store_true",
        help="from nothing: every input from its start, changelogs deleted",
    )
    point.add_argument(
        "--to-datetime",
        metavar="WHEN",
        help="again since WHEN, on top of the changelogs' state: ISO-8601 (UTC unless it says), 2h, 7d",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Plan, print, and (unless ``--dry-run``) carry out the rebuild; see the module's exit statuses."""
    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    settings = ProcessorSettings()
    try:
        at_ms = None if args.to_earliest else parse_when(args.to_datetime)
        plan = asyncio.run(make_plan(settings, args.service, at_ms))
    except (OpsError, ValueError) as exc:
        errors.print(f"[bold red]refused:[/] {exc}")
        return 2
    except KafkaError as exc:  # nothing changed yet: reading the group failed
        errors.print(f"[bold red]failed:[/] {exc!r}; nothing changed")
        return 1
    show(console, plan)
    if args.dry_run:
        console.print("dry run: nothing changed")
        return 0
    try:
        asyncio.run(carry_out(settings, plan))
    except (KafkaError, OpsError, OSError) as exc:
        errors.print(
            f"[bold red]failed:[/] {exc!r}; run the same command again before starting {plan.service}"
        )
        return 1
    console.print(
        f"done: offsets committed ({len(plan.moves)}), changelog topics deleted ({len(plan.changelogs)}), "
        f"local stores deleted ({len(plan.stores)}); start {plan.service}: it rebuilds its tables as it reads"
    )
    return 0


async def make_plan(settings: ProcessorSettings, service: str, at_ms: int | None) -> Plan:
    """Read the group and the data dir, refuse what must not run, and decide every change."""
    prefix = settings.kafka.topic_prefix
    group = rebuild_plan.group_id(prefix, service)
    state = await read_group(settings.kafka, group, at_ms)
    changelogs = rebuild_plan.changelog_topics(state.topics, group)
    inputs = {tp: offset for tp, offset in state.committed.items() if tp.topic not in changelogs}
    reason = rebuild_plan.refusal(service, group, state.members, inputs, at_ms, now_ms())
    if reason is not None:
        raise OpsError(reason)
    if at_ms is None:
        moves = rebuild_plan.to_earliest(inputs, state.starts)
    else:
        moves, changelogs = rebuild_plan.to_time(inputs, state.at_time), []
    stores = rebuild_plan.store_dirs(Path(settings.data_dir), prefix, service)
    return Plan(service, group, at_ms, tuple(moves), tuple(changelogs), tuple(stores))


async def carry_out(settings: ProcessorSettings, plan: Plan) -> None:
    """Commit the offsets, delete the changelogs, then the local stores (the module's order)."""
    await commit_offsets(settings.kafka, plan.group, {TP(m.topic, m.partition): m.new for m in plan.moves})
    await delete_topics(settings.kafka, plan.changelogs)
    for path in plan.stores:
        shutil.rmtree(path)


def show(console: Console, plan: Plan) -> None:
    """The plan as tables: offsets, changelogs, stores, and what the rebuild cannot replay."""
    point = "the earliest offsets" if plan.at_ms is None else f"{short_utc(plan.at_ms)} UTC"
    console.print(
        f"rebuild [bold]{plan.service}[/] (group {plan.group}) from {point}; the group has no members"
    )
    offsets = Table("topic", "partition", "committed", "new offset", "replayed", title="committed offsets")
    for move in plan.moves:
        offsets.add_row(
            move.topic, str(move.partition), str(move.committed), str(move.new), str(move.replayed)
        )
    console.print(offsets)
    kept = (
        "none: kept, the records since then are processed again on their state"
        if plan.at_ms is not None
        else "none"
    )
    console.print(_listing("changelog topics to delete", plan.changelogs, kept))
    console.print(_listing("local stores to delete", plan.stores, "none found under PROCESSOR_DATA_DIR"))
    if plan.truncated:
        console.print(
            f"[yellow]warning:[/] {len(plan.truncated)} partitions no longer start at offset 0: the records "
            "retention deleted before their log start cannot be replayed"
        )


def _listing(title: str, items: tuple[Any, ...], empty: str) -> Table:
    table = Table(title, title=None)
    for item in items:
        table.add_row(str(item))
    if not items:
        table.add_row(f"({empty})")
    return table
