"""``python -m ops dead-letters list|show|redrive``: inspect dead letters and send them back.

- ``list``: the dead letters matching the filters, newest first, as a table (``--json``: one JSON
  object per line), with whether and when each was re-driven;
- ``show ID``: one dead letter whole: its headers and its value, decoded when it decodes;
- ``redrive``: send the selected letters back to their source topics, each at most once ever
  (``ops.redrive``); ``--dry-run`` shows what would go. A re-drive needs ids or at least one
  filter, or ``--all``.

Filters: ``--service`` (the processor that dead-lettered it), ``--topic`` (its source topic, with
or without the deployment's prefix), ``--kind`` (``decode``, ``apply``, ``partition``,
``deliver``, ``unmatched``), ``--since``/``--until`` (ISO-8601, UTC unless it says otherwise, or
a time back from now: ``30m``, ``2h``, ``7d``). Kafka and the registry come from the services'
settings (``KAFKA_*``, ``SCHEMA_*``). Exit status: 0 done, 1 no such dead letter or a Kafka failure
(nothing re-driven), 2 refused.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from typing import Any

from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from infra.settings import KafkaSettings
from ops.exceptions import OpsError
from ops.redrive import Selection, read_letters, read_redrives, redrive, sort_out
from ops.when import parse_when, short_utc
from schemas.dead_letters import KINDS, DeadLetter, parse_id
from schemas.exceptions import SchemaError
from schemas.records import DeadLetterRedrive
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import ALL, Topics


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Register ``dead-letters`` and its three sub-commands."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "dead-letters", help="list, show and re-drive dead letters", description=__doc__
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="action")
    listing = actions.add_parser("list", help="dead letters matching the filters, newest first")
    _filters(listing)
    listing.add_argument("--limit", type=_positive, default=50, help="at most this many (default 50)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    show = actions.add_parser("show", help="one dead letter: headers and decoded value")
    show.add_argument("id", help="<partition>-<offset> on dead-letters, as list prints it")
    again = actions.add_parser("redrive", help="send dead letters back to their source topics, once each")
    again.add_argument("ids", nargs="*", help="dead letter ids; with filters, both must match")
    _filters(again)
    again.add_argument("--all", action="store_true", help="every dead letter (no filter needed)")
    again.add_argument("--dry-run", action="store_true", help="show what would be re-driven")
    again.add_argument("--note", default="", help="why, recorded with each re-drive")
    again.add_argument("--operator", default=None, help="who, recorded with each re-drive (default: login)")
    parser.set_defaults(run=run)
    return parser


def _positive(text: str) -> int:
    """A count of 1 or more, as argparse takes it."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--service", help="the processor that dead-lettered them (orders, inventory, ...)")
    parser.add_argument("--topic", help="their source topic (payments, order-requests, ...)")
    parser.add_argument("--kind", choices=KINDS, help="the error kind")
    parser.add_argument("--since", help="dead-lettered at or after: ISO-8601 or 30m, 2h, 7d back")
    parser.add_argument("--until", help="dead-lettered before: ISO-8601 or 30m, 2h, 7d back")


def run(args: argparse.Namespace) -> int:
    """Run the chosen action: 0 done, 1 a Kafka failure (a re-drive's transaction aborted: nothing
    went back; run it again), 2 refused (the message says why)."""
    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    try:
        return asyncio.run(_run(args, console))
    except (OpsError, ValueError) as exc:
        errors.print(f"[bold red]refused:[/] {exc}")
        return 2
    except KafkaError as exc:
        errors.print(f"[bold red]failed:[/] {exc!r}; nothing re-driven by this run, run it again")
        return 1


async def _run(args: argparse.Namespace, console: Console) -> int:
    kafka, registry = KafkaSettings(), RegistrySettings()
    serdes = Serdes(kafka, registry)
    try:
        redrives = serdes(Topics.DEAD_LETTER_REDRIVES)
        if args.action == "show":
            letters, _ = await read_letters(kafka, Selection(ids=frozenset({args.id})))
            if not letters:
                console.print(f"no dead letter {args.id}")
                return 1
            done = await read_redrives(kafka, redrives)
            console.print(_details(letters[0], done.get(args.id), serdes, kafka.topic_prefix))
            return 0
        selection = _selection(args)
        letters, unreadable = await read_letters(kafka, selection)
        if args.action == "list":
            done = await read_redrives(kafka, redrives)
            _print_list(console, letters[: args.limit], done, kafka.topic_prefix, args.json)
            if not args.json:
                console.print(f"{len(letters)} matching, {min(len(letters), args.limit)} shown, newest first")
            if unreadable:
                console.print(f"{unreadable} records on dead-letters without dead-letter headers skipped")
            return 0
        if not (args.ids or args.all or _has_filter(args)):
            raise OpsError("name dead letter ids, give a filter, or say --all")
        missing = sorted(set(args.ids) - {d.id for d in letters}) if args.ids else []
        if missing:  # a typo must not look like "nothing to do"
            console.print(f"no dead letter {', '.join(missing)} (with these filters); nothing re-driven")
            return 1
        if args.dry_run:
            todo, already = await sort_out(kafka, redrives, letters)
            _print_list(console, todo, {}, kafka.topic_prefix, False, "would re-drive")
            console.print(f"dry run: {len(todo)} would be re-driven, {len(already)} already were")
            return 0
        operator = args.operator or getpass.getuser()
        outcome = await redrive(kafka, redrives, letters, operator, args.note)
        _print_redriven(console, outcome.redriven, kafka.topic_prefix)
        console.print(
            f"re-driven {len(outcome.redriven)}, already re-driven before {len(outcome.already)}"
            + (f" ({', '.join(r['dead_letter_id'] for r in outcome.already)})" if outcome.already else "")
        )
        return 0
    finally:
        serdes.close()


def _has_filter(args: argparse.Namespace) -> bool:
    return any(getattr(args, name) for name in ("service", "topic", "kind", "since", "until"))


def _selection(args: argparse.Namespace) -> Selection:
    return Selection(
        service=args.service,
        topic=args.topic,
        kind=args.kind,
        since_ms=parse_when(args.since) if args.since else None,
        until_ms=parse_when(args.until) if args.until else None,
        ids=frozenset(_checked_id(i) for i in getattr(args, "ids", ()) or ()),
    )


def _checked_id(text: str) -> str:
    """``text`` when it is a dead letter id (``<partition>-<offset>``); ValueError (refused) otherwise."""
    parse_id(text)
    return text


def _short(topic: str, prefix: str) -> str:
    return topic.removeprefix(prefix)


def _print_list(
    console: Console,
    letters: list[DeadLetter],
    done: dict[str, DeadLetterRedrive],
    prefix: str,
    as_lines: bool,
    title: str = "dead letters",
) -> None:
    """The letters as a table (errors cut to a line: ``show`` has them whole), or as JSON lines."""
    if as_lines:
        for letter in letters:
            sys.stdout.write(json.dumps(letter.view(prefix, done.get(letter.id))) + "\n")
        return
    listing = title == "dead letters"  # a dry run's letters are none of them re-driven
    rows = []
    for d in letters:
        redriven = done.get(d.id)
        rows.append(
            [
                d.id,
                short_utc(d.timestamp_ms),
                d.service,
                f"{_short(d.source_topic, prefix)}[{d.source_partition}]@{d.source_offset}",
                d.kind,
                "" if d.key is None else d.key.decode("utf-8", "replace"),
                *(["" if redriven is None else short_utc(redriven["redriven_at"])] if listing else []),
                d.error,
            ]
        )
    headers = [
        "id",
        "at (UTC)",
        "service",
        "source",
        "kind",
        "key",
        *(["re-driven (UTC)"] if listing else []),
    ]
    table = Table(title=title, title_justify="left")
    widths = [max([len(header), *(len(r[n]) for r in rows)]) for n, header in enumerate(headers)]
    for header, width in zip(headers, widths, strict=True):  # whole: the error gets what is left
        table.add_column(header, min_width=width)
    left = console.width - sum(widths) - 3 * len(widths) - 4
    table.add_column("error", overflow="ellipsis", no_wrap=True, width=max(12, left))
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _print_redriven(console: Console, records: list[DeadLetterRedrive], prefix: str) -> None:
    if not records:
        return
    table = Table(title="re-driven", title_justify="left")
    for column in ("dead letter", "back to", "operator", "note"):
        table.add_column(column, overflow="fold")
    for r in records:
        where = f"{_short(r['source_topic'], prefix)}[{r['partition']}]@{r['offset']}"
        table.add_row(r["dead_letter_id"], where, r["operator"], r.get("note", ""))
    console.print(table)


def _details(letter: DeadLetter, done: DeadLetterRedrive | None, serdes: Serdes, prefix: str) -> Table:
    """One dead letter, a row per fact: headers as sent, the value decoded with its topic's schema."""
    table = Table(title=f"dead letter {letter.id}", title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    facts = letter.view(prefix, done)
    for name in ("dead_lettered_at", "service", "kind", "error", "key"):
        table.add_row(name, str(facts[name]))
    source = f"{letter.source_topic} partition {letter.source_partition} offset {letter.source_offset}"
    table.add_row("source", source)
    for name, value in letter.original_headers:
        table.add_row(f"header {name}", value.decode("utf-8", "replace"))
    table.add_row("value", _decoded(letter, serdes, prefix))
    by = "no" if done is None else f"{short_utc(done['redriven_at'])} by {done['operator']}"
    table.add_row("re-driven", by)
    return table


def _decoded(letter: DeadLetter, serdes: Serdes, prefix: str) -> str:
    """The value as JSON when its source topic's schema reads it, else why not and its size."""
    if letter.value is None:
        return "none (a tombstone)"
    spec = next((s for s in ALL if s.full_name(prefix) == letter.source_topic and s.value), None)
    if spec is None:
        return f"{len(letter.value)} bytes (no schema for {letter.source_topic})"
    try:
        return json.dumps(serdes(spec).decode(letter.value), indent=2, default=str)
    except SchemaError as exc:
        return f"{len(letter.value)} bytes, not decodable: {exc}"
