"""Names a test session makes for Kafka and the registry, and deleting them from a cluster not its own.

Topic prefixes, topics and consumer group ids in tests come from :func:`unique`, which remembers
each. On the session's own broker and registry (``infra.session_infra``) nothing needs deleting:
the next session wipes them. A session pointed at another cluster (``KAFKA_BOOTSTRAP_SERVERS``,
``SCHEMA_REGISTRY_URL``) deletes at its end every topic, consumer group and subject whose name
starts with one of those names: for a prefix ``p``, the topic ``p.orders``, the Faust group
``p.shopstream-orders`` and its changelog topics, the subject ``p.orders-value``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import DeleteGroupsRequest

from infra.settings import KafkaSettings
from schemas.settings import RegistrySettings

TOPICS_PER_REQUEST = 100
GONE_TOPIC = 3  # UNKNOWN_TOPIC_OR_PARTITION: deleted already
GONE_GROUP = 69  # GROUP_ID_NOT_FOUND: deleted already (or it expired)
_made: list[str] = []


def unique(stem: str) -> str:
    """``stem`` plus a short random suffix: a name no other test uses, remembered as this session's."""
    name = f"{stem}-{uuid.uuid4().hex[:10]}"
    _made.append(name)
    return name


def made() -> list[str]:
    """Every name :func:`unique` made in this process, in order."""
    return list(_made)


def ours(names: Iterable[str], prefixes: Iterable[str]) -> list[str]:
    """The ``names`` starting with one of ``prefixes``, sorted, once each (an empty prefix matches none)."""
    starts = tuple(prefix for prefix in prefixes if prefix)
    if not starts:
        return []
    return sorted({name for name in names if name.startswith(starts)})


def refused(results: Iterable[tuple[str, int]], gone: int) -> list[str]:
    """``name (error <code>: <Error>)`` for each (name, Kafka error code) neither done (0) nor ``gone``."""
    return [
        f"{name} (error {code}: {for_code(code).__name__})" for name, code in results if code not in (0, gone)
    ]


@dataclass
class Cleanup:
    """What a clean-up of one cluster or registry deleted (count by kind) and what it could not."""

    where: str
    deleted: dict[str, int] = field(default_factory=dict)
    left: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the end of the test run."""
        counts = ", ".join(f"{count} {kind}" for kind, count in self.deleted.items())
        left = f"; could not delete {len(self.left)}: {', '.join(self.left[:20])}" if self.left else ""
        return f"{self.where}: deleted {counts or 'nothing'}{left}"


def _pairs(response: Any, key: str, name: str) -> list[tuple[str, int]]:
    """(name, error code) of each entry of a Kafka response's ``key`` array."""
    return [(entry[name], entry["error_code"]) for entry in response.to_object()[key]]


async def clean_kafka(settings: KafkaSettings, prefixes: Iterable[str]) -> Cleanup:
    """Delete the topics, then the consumer groups, whose names start with one of ``prefixes``."""
    starts = list(prefixes)
    done = Cleanup(f"Kafka at {settings.bootstrap_servers}")
    admin = AIOKafkaAdminClient(**settings.client_options())
    await admin.start()
    try:
        topics = ours(await admin.list_topics(), starts)
        for first in range(0, len(topics), TOPICS_PER_REQUEST):
            response = await admin.delete_topics(topics[first : first + TOPICS_PER_REQUEST])
            done.left += refused(_pairs(response, "topic_error_codes", "topic"), GONE_TOPIC)
        done.deleted["topics"] = len(topics) - len(done.left)
        groups = ours((group[0] for group in await admin.list_consumer_groups()), starts)
        by_coordinator: dict[int, list[str]] = defaultdict(list)
        for group in groups:
            by_coordinator[await admin.find_coordinator(group)].append(group)
        left_before = len(done.left)
        for coordinator, names in by_coordinator.items():
            # aiokafka's admin client has no delete_consumer_groups; its DeleteGroups request goes
            # to the groups' coordinator the way its describe_consumer_groups sends DescribeGroups
            response = await admin._send_request(DeleteGroupsRequest(names), coordinator)
            done.left += refused(_pairs(response, "results", "group_id"), GONE_GROUP)
        done.deleted["consumer groups"] = len(groups) - (len(done.left) - left_before)
    finally:
        await admin.close()
    return done


def clean_registry(
    settings: RegistrySettings, prefixes: Iterable[str], transport: httpx.BaseTransport | None = None
) -> Cleanup:
    """Delete the subjects starting with one of ``prefixes``, soft then permanently (Confluent wants both)."""
    done = Cleanup(f"registry at {settings.registry_url}")
    base_url = settings.registry_url.rstrip("/")
    with httpx.Client(base_url=base_url, auth=settings.auth(), timeout=10, transport=transport) as http:
        listed = http.get("/subjects")
        listed.raise_for_status()
        subjects = ours((str(subject) for subject in listed.json()), prefixes)
        for subject in subjects:
            path = f"/subjects/{quote(subject, safe='')}"
            for params in ({}, {"permanent": "true"}):
                answer = http.delete(path, params=params)
                if answer.status_code not in (httpx.codes.OK, httpx.codes.NOT_FOUND):
                    done.left.append(f"{subject} (HTTP {answer.status_code})")
                    break
    done.deleted["subjects"] = len(subjects) - len(done.left)
    return done
