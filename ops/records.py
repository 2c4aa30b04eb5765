"""``python -m ops records TOPIC``: a topic's records decoded from Avro, as a console consumer shows them.

Kafka's own ``kafka-console-consumer`` prints Avro as bytes; this reads a topic of the registry
(``schemas.topics``) from its start to its end offsets, decodes each value with the topic's schema and
prints one line per record: ``<partition>@<offset> <key> <value as JSON>``, in the order a consumer
of that key sees them (by partition, then offset). No consumer group: nothing is committed.

Exit status: 0 printed (possibly nothing), 1 Kafka or the schema registry did not answer, 2 refused
(unknown topic, a field its record does not have; the message says why).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError

from infra.settings import KafkaSettings
from ops.exceptions import OpsError
from ops.kafka import read_to_end
from schemas import store
from schemas.exceptions import SchemaError
from schemas.registry import RegistryError
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings
from schemas.topics import ALL, TopicSpec

BY_NAME = {spec.name: spec for spec in ALL if spec.value is not None}


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``records`` to the ``python -m ops`` sub-commands."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "records", help="print a topic's records, decoded (a console consumer for Avro)"
    )
    parser.add_argument("topic", choices=sorted(BY_NAME), metavar="topic", help="its name in SPEC §2")
    parser.add_argument("--key", help="only the records of this key")
    parser.add_argument("--fields", help="only these fields of each value, comma-separated")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the records; 0 done, 1 Kafka or the registry did not answer, 2 refused."""
    spec = BY_NAME[args.topic]
    try:
        fields = _fields(args.fields, spec)
        lines = asyncio.run(_lines(spec, args.key, fields))
    except (OpsError, ValueError) as exc:  # unknown topic on this cluster or field in its record
        sys.stderr.write(f"refused: {exc}\n")
        return 2
    except (KafkaError, RegistryError) as exc:
        sys.stderr.write(f"failed: {exc}\n")
        return 1
    for line in lines:
        sys.stdout.write(line + "\n")
    return 0


def _fields(given: str | None, spec: TopicSpec) -> list[str] | None:
    """The fields asked for, each one of the topic's record; ValueError naming any that is not."""
    if not given:
        return None
    fields = [f.strip() for f in given.split(",") if f.strip()]
    known = [f["name"] for f in store.load(str(spec.value)).definition["fields"]]
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise ValueError(f"{spec.value} has no field {', '.join(unknown)}; its fields: {', '.join(known)}")
    return fields


async def _lines(spec: TopicSpec, key: str | None, fields: list[str] | None) -> list[str]:
    """One line per record of ``spec`` (of ``key`` if given), by partition then offset.

    Decoding blocks the loop (a schema not seen yet is fetched from the registry, once): nothing else
    runs on it once the records are read.
    """
    kafka = KafkaSettings()
    serdes = Serdes(kafka, RegistrySettings())
    try:
        serde = serdes(spec)
        records = await read_to_end(kafka, spec.full_name(kafka.topic_prefix), "read_committed")
        lines = []
        for record in sorted(records, key=lambda r: (r.partition, r.offset)):
            if key is not None and record.key != key.encode():
                continue
            try:
                value = None if record.value is None else serde.decode(record.value)
            except RegistryError:
                raise  # not the record's fault: stop, rather than call every record undecodable
            except SchemaError as exc:  # a record its processor dead-letters: shown, not fatal
                lines.append(f"{record.partition}@{record.offset} {_key(record)} undecodable: {exc}")
                continue
            lines.append(line(record, value, fields))
        return lines
    finally:
        serdes.close()


def line(record: ConsumerRecord[bytes, bytes], value: dict[str, Any] | None, fields: list[str] | None) -> str:
    """``<partition>@<offset> <key> <JSON>``; a tombstone's value prints as ``null``.

    ``fields`` keeps only those fields, in that order (a field the record lacks is left out).
    """
    shown: object = value
    if value is not None and fields is not None:
        shown = {f: value[f] for f in fields if f in value}
    return f"{record.partition}@{record.offset} {_key(record)} {json.dumps(shown, ensure_ascii=False)}"


def _key(record: ConsumerRecord[bytes, bytes]) -> str:
    return record.key.decode("utf-8", "replace") if record.key is not None else "-"
