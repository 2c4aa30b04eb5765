"""Dead letters read from Kafka, selected, and sent back to their source topics at most once each.

Once per source record, too: a record dead-lettered twice (its processor rebuilt from the earliest
offsets meets it again) has two dead letters, and a re-drive of either counts for both.

A re-drive writes, in one Kafka transaction per run, each selected dead letter's original key,
value and headers (plus ``redrive-of: <id>``) to its source topic, and a ``DeadLetterRedrive``
record keyed by the dead letter's id to ``dead-letter-redrives``. Which letters were re-driven is
read back with ``read_committed`` *after* the transactional producer has started: starting it
fences any earlier run with the same transactional id and ends its open transaction, so two runs
can never both re-drive one letter (the second sees the first's records, or the first is fenced
and writes nothing). A run that fails part-way aborts and leaves nothing re-driven.

The record goes to its key's partition (murmur2, SPEC §2), which also mends a dead letter of kind
``partition``; a record without a key goes back to the partition it came from.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from infra.settings import KafkaSettings
from ops.exceptions import OpsError
from ops.kafka import read_to_end
from schemas.dead_letters import DeadLetter, NotADeadLetter
from schemas.records import DeadLetterRedrive
from schemas.serde import AvroSerde
from schemas.topics import Topics

#: one transactional id per deployment (prefix): runs fence each other instead of racing
TRANSACTIONAL_ID = "shopstream-ops-redrive"


@dataclass(frozen=True, slots=True)
class Selection:
    """Which dead letters a command is about; every given filter must hold.

    ``topic`` is a source topic, with or without the deployment's prefix; ``since``/``until`` are
    epoch millis of the dead-lettering (``until`` excluded); ``ids`` are ``<partition>-<offset>``.
    """

    service: str | None = None
    topic: str | None = None
    kind: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    ids: frozenset[str] = frozenset()

    def matches(self, letter: DeadLetter, prefix: str) -> bool:
        """Whether ``letter`` is selected."""
        return (
            (self.service is None or letter.service == self.service)
            and (self.topic is None or letter.topic_matches(self.topic, prefix))
            and (self.kind is None or letter.kind == self.kind)
            and (self.since_ms is None or letter.timestamp_ms >= self.since_ms)
            and (self.until_ms is None or letter.timestamp_ms < self.until_ms)
            and (not self.ids or letter.id in self.ids)
        )


async def read_letters(kafka: KafkaSettings, selection: Selection) -> tuple[list[DeadLetter], int]:
    """The selected dead letters, newest first, and how many records were not dead letters at all."""
    topic = Topics.DEAD_LETTERS.full_name(kafka.topic_prefix)
    letters: list[DeadLetter] = []
    unreadable = 0
    for m in await read_to_end(kafka, topic):
        try:
            letter = DeadLetter.from_record(m.partition, m.offset, m.timestamp, m.key, m.value, m.headers)
        except NotADeadLetter:
            unreadable += 1
            continue
        if selection.matches(letter, kafka.topic_prefix):
            letters.append(letter)
    letters.sort(key=lambda d: (d.timestamp_ms, d.partition, d.offset), reverse=True)
    return letters, unreadable


async def read_redrives(kafka: KafkaSettings, serde: AvroSerde) -> dict[str, DeadLetterRedrive]:
    """Every committed re-drive, by dead letter id."""
    topic = Topics.DEAD_LETTER_REDRIVES.full_name(kafka.topic_prefix)
    done: dict[str, DeadLetterRedrive] = {}
    for m in await read_to_end(kafka, topic, "read_committed"):
        if m.value is not None:
            redrive: DeadLetterRedrive = serde.decode(m.value)  # type: ignore[assignment]  # its topic's record
            done[redrive["dead_letter_id"]] = redrive
    return done


async def sort_out(
    kafka: KafkaSettings, serde: AvroSerde, letters: Sequence[DeadLetter]
) -> tuple[list[DeadLetter], list[DeadLetterRedrive]]:
    """``letters`` not re-driven yet, and the re-drives of the others: of the letter itself, or of an
    earlier dead letter of the same source record (its processor rebuilt, say, met it again)."""
    done = await read_redrives(kafka, serde)
    everything, _ = await read_letters(kafka, Selection())
    by_source = {d.source: done[d.id] for d in everything if d.id in done}
    todo: list[DeadLetter] = []
    sources = set(by_source)
    for d in letters:  # in the selection's order; one letter per source record, the first
        if d.id not in done and d.source not in sources:
            todo.append(d)
            sources.add(d.source)
    todo_ids = {d.id for d in todo}
    already = [
        done.get(d.id) or by_source[d.source]
        for d in letters
        if d.id not in todo_ids and d.source in by_source
    ]
    return todo, already


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a re-drive did: the records it wrote, and the letters it left as already re-driven."""

    redriven: list[DeadLetterRedrive]
    already: list[DeadLetterRedrive]


async def redrive(
    kafka: KafkaSettings,
    serde: AvroSerde,
    letters: Sequence[DeadLetter],
    operator: str,
    note: str = "",
) -> Outcome:
    """Send ``letters`` back to their source topics, each at most once ever; see the module docstring.

    ``serde``: the serde of ``dead-letter-redrives``. Raises :class:`OpsError` when a source
    topic no longer exists; Kafka errors abort the transaction and propagate.
    """
    producer = AIOKafkaProducer(
        **kafka.producer_options(), transactional_id=f"{kafka.topic_prefix}{TRANSACTIONAL_ID}"
    )
    await producer.start()  # InitProducerId: fences an earlier run, ends its open transaction
    try:
        todo, already = await sort_out(kafka, serde, letters)
        if not todo:
            return Outcome([], already)
        await _check_topics(producer, {d.source_topic for d in todo})
        async with producer.transaction():
            redriven = await _send_back(producer, serde, kafka, todo, operator, note)
        return Outcome(redriven, already)
    finally:
        await producer.stop()


async def _all(futures: Sequence[asyncio.Future[RecordMetadata]]) -> list[RecordMetadata]:
    """Every future's result; the first failure raised once all are done (none left unretrieved:
    a producer fenced mid-transaction fails them all)."""
    done = await asyncio.gather(*futures, return_exceptions=True)
    for outcome in done:
        if isinstance(outcome, BaseException):
            raise outcome
    return [outcome for outcome in done if not isinstance(outcome, BaseException)]


async def _check_topics(producer: AIOKafkaProducer, topics: Iterable[str]) -> None:
    for topic in sorted(topics):
        if not await producer.partitions_for(topic):
            raise OpsError(f"source topic {topic} does not exist: nothing re-driven")


async def _send_back(
    producer: AIOKafkaProducer,
    serde: AvroSerde,
    kafka: KafkaSettings,
    letters: Sequence[DeadLetter],
    operator: str,
    note: str,
) -> list[DeadLetterRedrive]:
    """Write the letters' records back, then one re-drive record each, in the open transaction."""
    sent = [
        await producer.send(
            d.source_topic,
            d.value,
            key=d.key,
            partition=d.source_partition if d.key is None else None,
            headers=d.redrive_headers(),
        )
        for d in letters
    ]
    now = int(time.time() * 1000)
    log = Topics.DEAD_LETTER_REDRIVES.full_name(kafka.topic_prefix)
    records: list[DeadLetterRedrive] = []
    marked = []
    for letter, where in zip(letters, await _all(sent), strict=True):
        record: DeadLetterRedrive = {
            "dead_letter_id": letter.id,
            "source_topic": letter.source_topic,
            "partition": where.partition,
            "offset": where.offset,
            "redriven_at": now,
            "operator": operator,
            "note": note,
        }
        marked.append(await producer.send(log, serde.encode(record), key=letter.id.encode()))
        records.append(record)
    await _all(marked)
    return records
