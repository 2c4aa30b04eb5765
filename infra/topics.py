"""Creates every topic of the registry with its partitions and cleanup policy (idempotent)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from infra.settings import KafkaSettings
from schemas.topics import ALL, TopicSpec

log = logging.getLogger(__name__)

#: suffixes of the processors' internal topics whose unread records are no one's backlog: table
#: changelogs (streams do not consume them) and the orders processor's ``*-ticks`` clock, which
#: always holds the few ticks sent since its last commit. Lag is counted on every other topic a
#: group has committed on, repartition topics included (query-api's /v1/stats/lag, ops lag).
NOT_BACKLOG = ("-changelog", "-ticks")


def new_topic(spec: TopicSpec, kafka: KafkaSettings) -> NewTopic:
    """The creation request of ``spec`` under ``kafka``'s prefix, partitions and replication."""
    config = {"cleanup.policy": spec.cleanup_policy}
    if kafka.replication_factor >= 3:
        config["min.insync.replicas"] = "2"
    return NewTopic(
        name=spec.full_name(kafka.topic_prefix),
        num_partitions=spec.partitions or kafka.partitions,
        replication_factor=kafka.replication_factor,
        topic_configs=config,
    )


async def _create_missing(kafka: KafkaSettings, wanted: list[NewTopic]) -> list[str]:
    """Create the ``wanted`` topics that do not exist yet; the names that were created."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                log.info("topics created concurrently by another process")
        return [t.name for t in missing]
    finally:
        await admin.close()


async def ensure_topics(kafka: KafkaSettings, specs: Iterable[TopicSpec] = ALL) -> list[str]:
    """Create the registry's topics that do not exist yet; return the names that were created."""
    return await _create_missing(kafka, [new_topic(s, kafka) for s in specs])


async def ensure_named(kafka: KafkaSettings, topics: Iterable[tuple[str, dict[str, str]]]) -> list[str]:
    """Create topics a service owns privately (``(full name, config)``), if they do not exist yet."""
    wanted = [
        NewTopic(
            name=name,
            num_partitions=kafka.partitions,
            replication_factor=kafka.replication_factor,
            topic_configs=config,
        )
        for name, config in topics
    ]
    return await _create_missing(kafka, wanted)


async def partitions_of(kafka: KafkaSettings, names: Iterable[str]) -> dict[str, int]:
    """How many partitions each existing topic of ``names`` has (missing topics are left out)."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        described = await admin.describe_topics(list(names))
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0 and t["partitions"]}


def main() -> None:
    """Create the registry's topics on the cluster named by ``KAFKA_*``."""
    logging.basicConfig(level=logging.INFO)
    created = asyncio.run(ensure_topics(KafkaSettings()))
    log.info("topics ready", extra={"created_topics": created})


if __name__ == "__main__":
    main()
