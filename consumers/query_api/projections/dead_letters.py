"""Dead letters, newest first, and which of them were re-driven (``GET /v1/dead-letters``)."""

from __future__ import annotations

import bisect
import logging

from aiokafka import ConsumerRecord

from consumers.query_api import unreadable
from consumers.query_api.projections.base import Headers
from schemas.dead_letters import DeadLetter, DeadLetterView, NotADeadLetter
from schemas.records import DeadLetterRedrive
from schemas.topics import Topics

log = logging.getLogger(__name__)
#: (timestamp ms, partition, offset): the order dead letters are listed in, newest last
Position = tuple[int, int, int]


class DeadLetterViews:
    """The ``kept`` newest dead letters by id; older ones are dropped (``dead-letters`` still has them).

    Fed by the raw records of ``dead-letters`` (:meth:`apply_raw`) and, through
    :class:`RedriveViews`, by ``dead-letter-redrives``.
    """

    topic = Topics.DEAD_LETTERS

    def __init__(self, prefix: str, kept: int) -> None:
        self.prefix = prefix
        self.kept = kept
        self._letters: dict[Position, DeadLetter] = {}
        self._order: list[Position] = []  # ascending
        self.redrives: dict[str, DeadLetterRedrive] = {}

    def __len__(self) -> int:
        return len(self._order)

    def apply_raw(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Keep a dead letter (once, however often it is read); skip a record without our headers."""
        try:
            letter = DeadLetter.from_record(
                record.partition, record.offset, record.timestamp, record.key, record.value, record.headers
            )
        except NotADeadLetter as exc:
            unreadable.skip(log, "not a dead letter", record, exc)
            return
        position = (letter.timestamp_ms, letter.partition, letter.offset)
        if position in self._letters:
            return
        bisect.insort(self._order, position)
        self._letters[position] = letter
        if len(self._order) > self.kept:
            del self._letters[self._order.pop(0)]

    def page(
        self, service: str | None, topic: str | None, kind: str | None, limit: int, before: Position | None
    ) -> tuple[list[DeadLetterView], Position | None]:
        """Up to ``limit`` matching dead letters, newest first, older than ``before`` if given.

        Returns their views (``DeadLetter.view``) and the position to continue from (None at the end).
        """
        end = len(self._order) if before is None else bisect.bisect_left(self._order, before)
        chosen: list[DeadLetter] = []
        for position in reversed(self._order[:end]):
            letter = self._letters[position]
            if (
                (service is None or letter.service == service)
                and (topic is None or letter.topic_matches(topic, self.prefix))
                and (kind is None or letter.kind == kind)
            ):
                if len(chosen) == limit:
                    last = chosen[-1]
                    return self._views(chosen), (last.timestamp_ms, last.partition, last.offset)
                chosen.append(letter)
        return self._views(chosen), None

    def _views(self, letters: list[DeadLetter]) -> list[DeadLetterView]:
        return [d.view(self.prefix, self.redrives.get(d.id)) for d in letters]


class RedriveViews:
    """Marks dead letters re-driven, from ``dead-letter-redrives`` (a re-drive may precede its letter)."""

    topic = Topics.DEAD_LETTER_REDRIVES

    def __init__(self, letters: DeadLetterViews) -> None:
        self._letters = letters

    def apply(self, key: str | None, record: DeadLetterRedrive, headers: Headers = ()) -> None:
        """Remember the re-drive of ``record["dead_letter_id"]`` (the last one, were there several)."""
        self._letters.redrives[record["dead_letter_id"]] = record
