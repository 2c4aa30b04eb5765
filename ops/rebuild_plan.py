"""What rebuilding one processor changes, decided before anything is touched (pure: no Kafka, no I/O
except listing the data dir). ``ops.rebuild`` reads the cluster, builds a :class:`Plan`, prints it and
carries it out.

A processor's state is its tables: a local store per worker (RocksDB under ``PROCESSOR_DATA_DIR``,
one folder ``<topic prefix><service>-<web port>`` per worker) restored from the tables' changelog
topics (``<group>-<table>-changelog``), plus the committed offsets of its consumer group
``<topic prefix>shopstream-<service>`` on every topic it reads: the registry topics it consumes and
its own internal topics (inventory: ``-lines``, ``-line-results``). Two points are offered:

- **the earliest offsets** (``--to-earliest``): the state is built again from nothing. Every
  committed offset moves to its partition's log start, the changelog topics are deleted (the worker
  creates them again, empty, when it starts), the local stores are dropped. Deleting, not
  DeleteRecords: Kafka refuses DeleteRecords on a compact-only topic (PolicyViolation), and a new
  topic starts again at offset 0, so a store left on another machine is *ahead* of it and
  ``stream_processors.common.stores.FollowingStore`` drops it (as long as the new changelog has not
  grown past the store's offset: such stores must still be deleted where they are), where emptied
  records would leave the end offset in place and the old store would be taken as current. Kept
  changelogs would restore the old state and apply every input again on top of it. Internal topics
  are replayed from their start, not emptied: they hold the processor's first decisions in each
  key's order (inventory: every reservation request of a sku, in the order it was decided), so the
  rebuild takes the same decisions again. The inputs replayed regenerate those requests a second
  time, after the first ones in every partition; they are repeats the processor recognises (SPEC §5,
  inventory: a reservation per order once, a closed one never reopened, a decided order answered
  with its first outcome).
- **a time** (``--to-datetime``): records since then are processed again on top of the state the
  changelogs hold; the local stores are dropped and restored from them. Each committed offset moves
  back to the first record at or after the time, never forward: records not processed yet are never
  skipped. Idempotence (SPEC §5) makes the repeats change nothing; what they do is re-send outputs
  and apply what was not applied (records dead-lettered by a bug fixed since, say).

What a rebuild from the earliest offsets cannot give back, by design of Kafka, not of the tool:
records deleted by retention (partitions whose log start is above 0; the plan warns), and the order
in which records of *different* topics were first read. Inventory reads stock levels and its
requests from two topics, so a level set between a sku's reservations or shipments is applied where
it falls in the replay, not where it fell the first time: after a rebuild the stock on hand is the
latest level minus what shipped after it was read. Set the levels again after rebuilding if they
changed while orders of their skus were open. The ``orders`` processor cannot be rebuilt from the
earliest offsets: its table's changelog is the ``orders`` topic itself (SPEC §2), which every other
service reads and which no tool may empty; it can be rebuilt from a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from infra.local_kafka.processor_state import worker_dirs
from infra.services import SERVICES
from schemas.topics import Topics, TopicSpec

#: the processors, by the names ``infra.services`` gives them
PROCESSORS: tuple[str, ...] = tuple(s.name for s in SERVICES if s.module.startswith("stream_processors."))
#: tables whose changelog is a topic of the contract (``record_table`` in stream_processors/orders/app.py);
#: the integration canary ``tests/integration/ops/test_rebuild.py`` checks this against every app
CONTRACT_CHANGELOGS: Mapping[str, tuple[TopicSpec, ...]] = {"orders": (Topics.ORDERS,)}


class TP(NamedTuple):
    """A topic partition (aiokafka's ``TopicPartition`` has the same shape)."""

    topic: str
    partition: int


@dataclass(frozen=True)
class Move:
    """One partition's committed offset, now and after the rebuild."""

    topic: str
    partition: int
    committed: int
    new: int

    @property
    def replayed(self) -> int:
        """Records processed before that will be processed again (0 when the offset stays)."""
        return self.committed - self.new


@dataclass(frozen=True)
class Plan:
    """Everything a rebuild changes; ``at_ms`` None means from the earliest offsets."""

    service: str
    group: str
    at_ms: int | None
    moves: tuple[Move, ...]
    changelogs: tuple[str, ...]  # topics deleted (empty for a rebuild from a time)
    stores: tuple[Path, ...]  # local store folders deleted

    @property
    def truncated(self) -> tuple[Move, ...]:
        """Partitions replayed from a log start above 0: records before it were deleted by retention."""
        return tuple(m for m in self.moves if self.at_ms is None and m.new > 0)


def group_id(prefix: str, service: str) -> str:
    """The processor's consumer group, which is also its Faust app id (``common.app.make_app``)."""
    return f"{prefix}shopstream-{service}"


def changelog_topics(topics: Iterable[str], group: str) -> list[str]:
    """The app's own changelog topics among ``topics`` (Faust names them ``<app id>-<table>-changelog``)."""
    return sorted(t for t in topics if t.startswith(f"{group}-") and t.endswith("-changelog"))


def store_dirs(data_dir: Path, prefix: str, service: str) -> list[Path]:
    """The processor's workers' store folders under ``data_dir`` (``<prefix><service>-<web port>``)."""
    name = re.compile(re.escape(f"{prefix}{service}") + r"-\d+")
    return [path for path in worker_dirs(data_dir) if name.fullmatch(path.name)]


def to_earliest(committed: Mapping[TP, int], starts: Mapping[TP, int]) -> list[Move]:
    """Every committed partition back to its log start."""
    return _moves({tp: (offset, starts[tp]) for tp, offset in committed.items()})


def to_time(committed: Mapping[TP, int], at_time: Mapping[TP, int | None]) -> list[Move]:
    """Every committed partition back to its first record at or after the time, never forward.

    ``at_time``: that offset per partition, None when no record is that recent (nothing to redo).
    """
    return _moves(
        {
            tp: (offset, offset if (found := at_time.get(tp)) is None else min(offset, found))
            for tp, offset in committed.items()
        }
    )


def _moves(offsets: Mapping[TP, tuple[int, int]]) -> list[Move]:
    return [Move(tp.topic, tp.partition, now, new) for tp, (now, new) in sorted(offsets.items())]


def refusal(
    service: str,
    group: str,
    members: Sequence[str],
    committed: Mapping[TP, int],
    at_ms: int | None,
    now_ms: int,
) -> str | None:
    """Why the rebuild must not run, or None: a running processor, no offsets to reset, a bad point."""
    if members:
        return (
            f"group {group} has {len(members)} member(s) ({', '.join(sorted(members))}): "
            f"stop every {service} worker first"
        )
    if not committed:
        return f"group {group} has no committed offsets: {service} never ran here (check KAFKA_TOPIC_PREFIX)"
    if at_ms is None and service in CONTRACT_CHANGELOGS:
        names = ", ".join(spec.name for spec in CONTRACT_CHANGELOGS[service])
        return (
            f"{service} keeps its table in {names}, a topic every other service reads: it cannot be "
            "emptied, so rebuild from a time (--to-datetime) instead"
        )
    if at_ms is not None and at_ms > now_ms:
        return "the time is in the future: there is nothing after it to process again"
    return None
