"""``python -m infra.architecture [--check]``: the generated part of ``docs/architecture.md``.

The diagram of services and topics and the one-writer-per-topic table are made from the one source
of each fact, so they cannot drift: topics, keys, values and cleanup from ``schemas.topics`` (``ALL``),
who sends and receives what from ``schemas.asyncapi`` (``FLOWS``, ``TOOLS``; the same mapping drives the
AsyncAPI document), the services, their modules and which serve HTTP from ``infra.services``.
Only the text between :data:`BEGIN` and :data:`END` is rewritten; the hand-written prose around it,
the table of where each business rule lives among it, is left alone, and ``--check`` verifies that
every ``path.py`` or ``path.py::name`` that prose names still exists.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.exceptions import ArchitectureDocError
from infra.services import SERVICES
from schemas.asyncapi import FLOWS, TOOLS, Flow
from schemas.topics import ALL, Topics, TopicSpec

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- generated: python -m infra.architecture; do not edit -->"
END = "<!-- end generated -->"
PROCESSORS = tuple(s.name for s in SERVICES if s.module.startswith("stream_processors."))
"""The services that are Faust apps (their module is under ``stream_processors``), in SERVICES order."""
HTTP_SERVICES = tuple(s.name for s in SERVICES if s.http_api)
#: ``package/module.py`` or ``package/module.py::Name.attr`` in backticks (a path from the repository's
#: root, so with a slash), as the prose cites code; a bare ``rules.py`` is a kind of file, not a reference
REFERENCE = re.compile(r"`([A-Za-z_]\w*(?:/\w+)+\.py)(?:::([A-Za-z_][\w.]*))?`")


@dataclass(frozen=True, slots=True)
class SharedTopic:
    """A topic that SPEC §1 lets more than one service write: who may, and why."""

    topic: TopicSpec
    writers: tuple[str, ...]
    why: str


SHARED: tuple[SharedTopic, ...] = (
    SharedTopic(
        Topics.ORDER_VALIDATIONS,
        ("order-details", "inventory", "fraud"),
        "each validator writes the results of its own check (DETAILS, INVENTORY, FRAUD), and only those "
        "(SPEC §1): one writer per (topic, check)",
    ),
    SharedTopic(
        Topics.DEAD_LETTERS,
        PROCESSORS,
        "every processor writes the records it cannot decode or apply, through the one error hook "
        "`stream_processors/common/dead_letters.py` (SPEC §5 bad records)",
    ),
)
REDRIVE = (
    "`python -m ops dead-letters redrive` (an operator's command, not a service) writes each selected "
    "dead letter back to its source topic: any topic a processor reads, marked *+ ops re-drive* above. "
    "It is the operator's exception to one writer per topic: the record is the original writer's, "
    "re-sent unchanged, and each dead letter at most once (`dead-letter-redrives` says which)."
)


def _flows() -> dict[str, Flow]:
    """Every service's flow (SERVICES order), then the operator tools'; a service without one is an error."""
    missing = [s.name for s in SERVICES if s.name not in FLOWS]
    if missing:
        raise ArchitectureDocError(f"no Flow in schemas/asyncapi.py FLOWS for: {', '.join(missing)}")
    return {**{s.name: FLOWS[s.name] for s in SERVICES}, **TOOLS}


def writers() -> dict[str, list[str]]:
    """Topic name → the services and tools whose flow sends it, in :func:`_flows` order."""
    return {spec.name: [who for who, flow in _flows().items() if spec in flow.sends] for spec in ALL}


def readers() -> dict[str, list[str]]:
    """Topic name → the services and tools whose flow receives it, in :func:`_flows` order."""
    return {spec.name: [who for who, flow in _flows().items() if spec in flow.receives] for spec in ALL}


def redriven() -> set[str]:
    """Topics a dead letter can come from, so a re-drive writes: read by a writer of ``dead-letters``."""
    flows = _flows()
    sources = (flow.receives for flow in flows.values() if Topics.DEAD_LETTERS in flow.sends)
    return {spec.name for specs in sources for spec in specs if spec is not Topics.DEAD_LETTERS}


def violations() -> list[str]:
    """Every topic with no writer, or with a second writer that :data:`SHARED` does not list (SPEC §1)."""
    shared = {s.topic.name: s for s in SHARED}
    found = []
    for name, who in writers().items():
        allowed = shared[name].writers if name in shared else who[:1]
        extra = [w for w in who if w not in allowed]
        if not who:
            found.append(f"topic {name} has no writer in schemas/asyncapi.py FLOWS or TOOLS")
        elif extra:
            found.append(
                f"topic {name} is written by {', '.join(who)}: {', '.join(extra)} would be a second writer "
                "(one writer per topic, SPEC §1; a shared topic is listed in infra/architecture.py SHARED)"
            )
    return found


def _node(prefix: str, name: str) -> str:
    """A Mermaid node id: no dashes (``order-requests`` → ``t_order_requests``)."""
    return prefix + name.replace("-", "_")


def _edges(who: str, flow: Flow, collapsed: set[tuple[str, str]]) -> Iterator[str]:
    """``who``'s edges: to each topic it sends, from each it receives, unless drawn for every processor."""
    node = _node("x_", who) if who in TOOLS else _node("s_", who)
    for spec in flow.sends:
        if (spec.name, "sends") not in collapsed or who not in PROCESSORS:
            yield f"  {node} --> {_node('t_', spec.name)}"
    for spec in flow.receives:
        if (spec.name, "receives") not in collapsed or who not in PROCESSORS:
            yield f"  {_node('t_', spec.name)} --> {node}"


def _collapsed() -> set[tuple[str, str]]:
    """(topic, direction) pairs that every processor has: drawn once, from or to the subgraph."""
    flows = _flows()
    pairs = set()
    for spec in ALL:
        for direction in ("sends", "receives"):
            if all(spec in getattr(flows[p], direction) for p in PROCESSORS):
                pairs.add((spec.name, direction))
    return pairs


def _http_edges() -> Iterator[str]:
    """Commands come in over HTTP to a service that writes topics; a read-only one answers queries."""
    for name in HTTP_SERVICES:
        if _flows()[name].sends:
            yield f'  http -->|"HTTP commands"| {_node("s_", name)}'
        else:
            yield f'  {_node("s_", name)} -->|"HTTP queries, long-polls, SSE"| http'


def diagram() -> list[str]:
    """The Mermaid flowchart: HTTP clients, services (processors in a subgraph), tools, topics, edges."""
    lines = ["```mermaid", "flowchart LR", "  http([HTTP clients])"]
    lines += [f"  {_node('s_', name)}[{name}]" for name in HTTP_SERVICES]
    lines += ["  subgraph processors [stream processors]"]
    lines += [f"    {_node('s_', name)}[{name}]" for name in PROCESSORS]
    lines += ["  end"]
    lines += [f'  {_node("x_", name)}[["{name} (operator commands)"]]' for name in TOOLS]
    lines += [f"  {_node('t_', spec.name)}[({spec.name})]" for spec in ALL]
    lines += list(_http_edges())
    collapsed = _collapsed()
    for who, flow in _flows().items():
        lines += list(_edges(who, flow, collapsed))
    for name, direction in sorted(collapsed):
        topic = _node("t_", name)
        lines.append(f"  processors --> {topic}" if direction == "sends" else f"  {topic} --> processors")
    lines += [
        f'  {_node("x_", name)} -.->|"re-drive: back to the source topic"| processors' for name in TOOLS
    ]
    return [*lines, "```"]


def _cell(names: Sequence[str]) -> str:
    """A table cell listing services or tools."""
    return ", ".join(names) or "—"


def writer_table() -> list[str]:
    """One row per topic of the registry: key, value record, cleanup policy, its writer(s), its readers."""
    shared = {s.topic.name for s in SHARED}
    again = redriven()
    lines = [
        "| topic | key | value record | cleanup | writer | readers |",
        "|---|---|---|---|---|---|",
    ]
    read = readers()
    for name, who in writers().items():
        spec = next(s for s in ALL if s.name == name)
        writer = _cell(who) + (" *(shared)*" if name in shared else "")
        writer += " *+ ops re-drive*" if name in again else ""
        value = f"`{spec.value}`" if spec.value else "original bytes"
        lines.append(
            f"| `{name}` | {spec.key} | {value} | {spec.cleanup_policy} | {writer} | {_cell(read[name])} |"
        )
    return lines


def generated() -> str:
    """The text between the markers: the diagram, how to read it, the writer table and its exceptions."""
    lines = [BEGIN, "", "## Services and topics", "", *diagram(), ""]
    lines += [
        "Boxes are services (`infra/services.py`), the framed box an operator command, cylinders topics "
        "(`schemas/topics.py`); an arrow into a topic is a write, out of it a read (`schemas/asyncapi.py`). "
        "An edge every processor has is drawn once, from or to the *stream processors* subgraph: "
        "that is how `dead-letters` gets its writers without "
        f"{len(PROCESSORS)} crossing arrows. The dotted arrow is the operator's re-drive.",
        "",
        "## One writer per topic",
        "",
        *writer_table(),
        "",
        "Exceptions, and only these (`python -m infra.architecture --check` fails on any other "
        "second writer):",
        "",
    ]
    lines += [f"- `{s.topic.name}` ({', '.join(s.writers)}): {s.why}." for s in SHARED]
    lines += [f"- {REDRIVE}", "", END]
    return "\n".join(lines)


def render(text: str) -> str:
    """``text`` (the whole document) with its generated part made anew, the prose around it kept."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ArchitectureDocError(f"{DOC.name} lacks the markers {BEGIN!r} … {END!r}, in that order")
    return text[:start] + generated() + text[end + len(END) :]


def _defines(path: Path, name: str) -> bool:
    """Whether the module at ``path`` defines ``name`` (``Class.method`` allowed) at its top level."""
    body: list[ast.stmt] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body
    for part in name.split("."):
        found = [node for node in body if part in _names(node)]
        if not found:
            return False
        body = getattr(found[0], "body", [])
    return True


def _names(node: ast.stmt) -> set[str]:
    """The names a top-level statement binds: a def, a class, or an assignment's targets."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {t.id for t in targets if isinstance(t, ast.Name)}


def broken_references(text: str, root: Path = ROOT) -> list[str]:
    """Each ``path.py`` or ``path.py::name`` cited in ``text`` whose file is gone or lacks the name."""
    found = []
    for match in REFERENCE.finditer(text):
        path, name = match.group(1), match.group(2)
        if not (root / path).is_file():
            found.append(f"{path}: no such file")
        elif name and not _defines(root / path, name):
            found.append(f"{path}::{name}: {path} defines no {name}")
    return found


def problems(doc: Path = DOC) -> list[str]:
    """Why ``doc`` is not as it should be: out of date, a second writer, a reference to code that is gone."""
    text = doc.read_text(encoding="utf-8")
    now = render(text)
    found = []
    if now != text:
        diff = difflib.unified_diff(
            text.splitlines(), now.splitlines(), "committed", "generated now", lineterm=""
        )
        found.append(f"{doc.name} is out of date (run: python -m infra.architecture):\n" + "\n".join(diff))
    return [*found, *violations(), *(f"{doc.name}: {ref}" for ref in broken_references(text))]


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the generated part of docs/architecture.md; with ``--check``, 1 and why when it is stale."""
    parser = argparse.ArgumentParser(prog="python -m infra.architecture", description=__doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if the doc is stale")
    args = parser.parse_args(argv)
    if args.check:
        found = problems(DOC)
        sys.stderr.writelines(f"{problem}\n" for problem in found)
        return 1 if found else 0
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(render(text), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC.relative_to(ROOT) if DOC.is_relative_to(ROOT) else DOC}\n")
    found = violations()
    sys.stderr.writelines(f"{problem}\n" for problem in found)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
