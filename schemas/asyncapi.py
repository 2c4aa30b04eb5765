"""The AsyncAPI 3.0 document of every topic, built from the topic registry and the Avro schemas.

Channels are the registry's topics (address = the topic's name on the cluster), messages carry the
``.avsc`` definition as their payload and say how their key picks the partition (murmur2, SPEC §2),
and operations say which service sends or receives what (SPEC §1). query-api serves it at
``/asyncapi.json``; tests validate it with ``@asyncapi/parser``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas import store
from schemas.topics import ALL, Topics, TopicSpec

ASYNCAPI_VERSION = "3.0.0"
AVRO_FORMAT = "application/vnd.apache.avro;version=1.9.0"
KAFKA_BINDING = "0.5.0"
DEAD_LETTER_MESSAGE = "DeadLetter"
#: how a record's partition follows from its key (SPEC §2), for anyone producing to these topics
PARTITIONING = (
    "Keys are UTF-8 strings, partitioned with murmur2(key) as Kafka's Java client and aiokafka do. "
    "librdkafka clients (confluent-kafka Python, Go, .NET) must set partitioner=murmur2_random: their "
    "default, consistent_random, hashes with CRC32, and a keyed record a processor finds on another "
    "partition than its key's is dead-lettered as WRONG_PARTITION (error-kind partition), changing no state."
)
KEY_PARTITIONING = "partition = murmur2(key); librdkafka clients: partitioner=murmur2_random"


@dataclass(frozen=True, slots=True)
class Flow:
    """What one service of SPEC §1 publishes and consumes."""

    sends: tuple[TopicSpec, ...] = ()
    receives: tuple[TopicSpec, ...] = ()


_PROCESSOR_DLQ = (Topics.DEAD_LETTERS,)

FLOWS: dict[str, Flow] = {
    "ingest-api": Flow(
        sends=(
            Topics.CUSTOMERS,
            Topics.INVENTORY_LEVELS,
            Topics.ORDER_REQUESTS,
            Topics.PAYMENTS,
            Topics.ORDER_ACTIONS,
        )
    ),
    "orders": Flow(
        sends=(Topics.ORDERS, Topics.ORDER_REJECTIONS, *_PROCESSOR_DLQ),
        receives=(Topics.ORDER_REQUESTS, Topics.ORDER_VALIDATIONS, Topics.PAYMENTS, Topics.ORDER_ACTIONS),
    ),
    "order-details": Flow(
        sends=(Topics.ORDER_VALIDATIONS, *_PROCESSOR_DLQ), receives=(Topics.ORDERS, Topics.CUSTOMERS)
    ),
    "inventory": Flow(
        sends=(Topics.ORDER_VALIDATIONS, Topics.INVENTORY, *_PROCESSOR_DLQ),
        receives=(Topics.ORDERS, Topics.INVENTORY_LEVELS),
    ),
    "fraud": Flow(sends=(Topics.ORDER_VALIDATIONS, *_PROCESSOR_DLQ), receives=(Topics.ORDERS,)),
    "notifications": Flow(
        sends=(Topics.NOTIFICATIONS, *_PROCESSOR_DLQ),
        receives=(Topics.ORDERS, Topics.ORDER_REJECTIONS, Topics.CUSTOMERS),
    ),
    "analytics": Flow(
        sends=(Topics.SALES_PER_MINUTE, Topics.ORDER_COUNTS, *_PROCESSOR_DLQ), receives=(Topics.ORDERS,)
    ),
    "query-api": Flow(
        receives=(
            Topics.ORDERS,
            Topics.INVENTORY,
            Topics.CUSTOMERS,
            Topics.NOTIFICATIONS,
            Topics.ORDER_COUNTS,
            Topics.SALES_PER_MINUTE,
            Topics.DEAD_LETTERS,
            Topics.DEAD_LETTER_REDRIVES,
        )
    ),
}
#: operator commands (``python -m ops``), not services: they run by hand. A re-drive also writes
#: each dead letter's record back to its source topic, the operator's exception to one writer per topic.
TOOLS: dict[str, Flow] = {
    "ops": Flow(
        sends=(Topics.DEAD_LETTER_REDRIVES,), receives=(Topics.DEAD_LETTERS, Topics.DEAD_LETTER_REDRIVES)
    ),
}


@dataclass(frozen=True, slots=True)
class Cluster:
    """Where the document says the topics live, and how they are laid out there."""

    bootstrap_servers: str = "127.0.0.1:9092"
    registry_url: str = "http://127.0.0.1:8081/apis/ccompat/v7"
    topic_prefix: str = ""
    partitions: int = 6
    replication_factor: int = 1
    security_protocol: str = "PLAINTEXT"  # as KAFKA_SECURITY_PROTOCOL
    sasl_mechanism: str | None = None  # as KAFKA_SASL_MECHANISM; SCRAM-SHA-512 when SASL and unset


#: AsyncAPI 3.0 security scheme types of the SASL mechanisms a client may use
SASL_SCHEMES = {"PLAIN": "plain", "SCRAM-SHA-256": "scramSha256", "SCRAM-SHA-512": "scramSha512"}
SASL_SCHEME = "kafkaSasl"


def _security(cluster: Cluster) -> dict[str, Any]:
    """The security scheme clients authenticate with, by name; none on a PLAINTEXT or TLS-only cluster."""
    if not cluster.security_protocol.startswith("SASL"):
        return {}
    mechanism = cluster.sasl_mechanism or "SCRAM-SHA-512"
    over = "TLS" if cluster.security_protocol.endswith("SSL") else "plain TCP"
    return {
        SASL_SCHEME: {
            "type": SASL_SCHEMES[mechanism],
            "description": f"SASL {mechanism} over {over}; the user and password come from "
            "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (a Secret in Kubernetes)",
        }
    }


def message_name(spec: TopicSpec) -> str:
    """The message of ``spec``'s channel: its value record, or ``DeadLetter`` for raw bytes."""
    return spec.value or DEAD_LETTER_MESSAGE


def _message(spec: TopicSpec) -> dict[str, Any]:
    """The message carried by ``spec``: its Avro value, its string key, Confluent schema ids."""
    key = {"type": "string", "description": f"{spec.key} (UTF-8); {KEY_PARTITIONING}"}
    if spec.value is None:
        return {
            "name": DEAD_LETTER_MESSAGE,
            "summary": "A record a processor could not decode or apply, as it was read.",
            "description": spec.doc,
            "contentType": "application/octet-stream",
            "payload": {"type": "string", "format": "binary"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "bindings": {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING}},
        }
    schema = store.load(spec.value)
    return {
        "name": spec.value,
        "summary": str(schema.definition.get("doc", spec.value)),
        "contentType": "application/octet-stream",
        "payload": {"schemaFormat": AVRO_FORMAT, "schema": schema.definition},
        "bindings": {
            "kafka": {
                "key": key,
                "schemaIdLocation": "payload",
                "schemaIdPayloadEncoding": "confluent",
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _channel(spec: TopicSpec, cluster: Cluster) -> dict[str, Any]:
    """The channel of ``spec``: its address on the cluster, its message and its topic layout."""
    name = message_name(spec)
    return {
        "address": spec.full_name(cluster.topic_prefix),
        "description": spec.doc or f"{name} records keyed by {spec.key}.",
        "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        "bindings": {
            "kafka": {
                "topic": spec.full_name(cluster.topic_prefix),
                "partitions": spec.partitions or cluster.partitions,
                "replicas": cluster.replication_factor,
                "topicConfiguration": {"cleanup.policy": [spec.cleanup_policy]},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _operations() -> dict[str, Any]:
    """One ``send`` or ``receive`` operation per service (or operator tool) and topic (SPEC §1)."""
    operations: dict[str, Any] = {}
    for service, flow in {**FLOWS, **TOOLS}.items():
        for action, specs in (("send", flow.sends), ("receive", flow.receives)):
            for spec in specs:
                operations[f"{service}_{action}_{spec.name}"] = {
                    "action": action,
                    "summary": f"{service} {action}s {spec.name}",
                    "channel": {"$ref": f"#/channels/{spec.name}"},
                    "messages": [{"$ref": f"#/channels/{spec.name}/messages/{message_name(spec)}"}],
                }
    return operations


def document(cluster: Cluster | None = None) -> dict[str, Any]:
    """The whole AsyncAPI 3.0 document for ``cluster`` (local defaults when None)."""
    cluster = cluster or Cluster()
    security = _security(cluster)
    server: dict[str, Any] = {
        "host": cluster.bootstrap_servers.split(",")[0].strip(),
        "protocol": "kafka-secure" if cluster.security_protocol.endswith("SSL") else "kafka",
        "description": f"bootstrap servers: {cluster.bootstrap_servers}",
        "bindings": {
            "kafka": {
                "schemaRegistryUrl": cluster.registry_url,
                "schemaRegistryVendor": "apicurio",
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }
    if security:
        server["security"] = [{"$ref": f"#/components/securitySchemes/{name}"} for name in security]
    components: dict[str, Any] = {"messages": {message_name(spec): _message(spec) for spec in ALL}}
    if security:
        components["securitySchemes"] = security
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "ShopStream events",
            "version": "1",
            "description": "Every Kafka topic of ShopStream, its Avro records and who writes and reads it. "
            + PARTITIONING,
        },
        "defaultContentType": "application/octet-stream",
        "servers": {"kafka": server},
        "channels": {spec.name: _channel(spec, cluster) for spec in ALL},
        "operations": _operations(),
        "components": components,
    }
