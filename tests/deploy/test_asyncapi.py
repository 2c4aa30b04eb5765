"""The AsyncAPI 3.0 document: built from the registries, served by query-api, valid for @asyncapi/parser."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from consumers.query_api.main import create_app
from consumers.query_api.settings import QuerySettings
from infra.services import SERVICES
from schemas import store
from schemas.asyncapi import AVRO_FORMAT, FLOWS, Cluster, document, message_name
from schemas.topics import ALL, Topics

VALIDATOR = Path(__file__).resolve().parents[2] / "infra" / "asyncapi"


def validate(doc: dict[str, Any], tmp_path: Path) -> tuple[int, list[dict[str, Any]]]:
    """Run infra/asyncapi/validate.mjs on ``doc``: its exit code and the error diagnostics it printed."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the AsyncAPI document cannot be validated here")
    if not (VALIDATOR / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.skip("infra/asyncapi/node_modules missing: run make deploy-tools (npm ci)")
    path = tmp_path / "asyncapi.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    done = subprocess.run(  # noqa: S603 - node and a script of ours
        [node, str(VALIDATOR / "validate.mjs"), str(path)], capture_output=True, text=True, check=False
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, [line for line in lines if line.get("severity") == 0]


def test_document_validates(tmp_path: Path) -> None:
    code, errors = validate(document(), tmp_path)
    assert (code, errors) == (0, [])


def test_a_sasl_ssl_cluster_declares_its_security(tmp_path: Path) -> None:
    doc = document(Cluster("broker-1:9093", security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-256"))
    assert validate(doc, tmp_path) == (0, [])
    server = doc["servers"]["kafka"]
    assert (server["protocol"], server["security"]) == (
        "kafka-secure",
        [{"$ref": "#/components/securitySchemes/kafkaSasl"}],
    )
    assert doc["components"]["securitySchemes"] == {
        "kafkaSasl": {
            "type": "scramSha256",
            "description": "SASL SCRAM-SHA-256 over TLS; the user and password come from "
            "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (a Secret in Kubernetes)",
        }
    }


def test_a_plaintext_cluster_declares_no_security() -> None:
    doc = document()
    assert (doc["servers"]["kafka"]["protocol"], "security" in doc["servers"]["kafka"]) == ("kafka", False)
    assert "securitySchemes" not in doc["components"]


def test_a_broken_reference_fails(tmp_path: Path) -> None:
    doc = copy.deepcopy(document())
    doc["operations"]["orders_send_orders"]["channel"]["$ref"] = "#/channels/ordres"
    code, errors = validate(doc, tmp_path)
    assert code == 1
    assert {"code": "invalid-ref", "message": "'#/channels/ordres' does not exist"}.items() <= errors[
        0
    ].items()


def test_a_broken_avro_payload_fails(tmp_path: Path) -> None:
    doc = copy.deepcopy(document())
    doc["components"]["messages"]["Payment"]["payload"]["schema"]["fields"][0]["type"] = "strng"
    code, errors = validate(doc, tmp_path)
    assert code == 1
    assert [(e["code"], e["message"]) for e in errors] == [
        ("avro-schema", "undefined type name: io.shopstream.strng")
    ]


def test_one_channel_per_topic_with_its_avro_record() -> None:
    doc = document(Cluster(topic_prefix="eu.", partitions=12, replication_factor=3))
    assert doc["asyncapi"] == "3.0.0"
    assert sorted(doc["channels"]) == sorted(spec.name for spec in ALL)
    for spec in ALL:
        channel = doc["channels"][spec.name]
        assert channel["address"] == f"eu.{spec.name}"
        binding = channel["bindings"]["kafka"]
        assert (binding["partitions"], binding["replicas"]) == (12, 3)
        assert binding["topicConfiguration"] == {"cleanup.policy": [spec.cleanup_policy]}
        if spec.value is not None:
            payload = doc["components"]["messages"][spec.value]["payload"]
            assert payload == {"schemaFormat": AVRO_FORMAT, "schema": store.load(spec.value).definition}
    dead = doc["components"]["messages"]["DeadLetter"]
    assert dead["payload"] == {"type": "string", "format": "binary"}


def test_the_document_says_how_keys_are_partitioned() -> None:
    doc = document()
    assert doc["info"]["description"] == (
        "Every Kafka topic of ShopStream, its Avro records and who writes and reads it. "
        "Keys are UTF-8 strings, partitioned with murmur2(key) as Kafka's Java client and aiokafka do. "
        "librdkafka clients (confluent-kafka Python, Go, .NET) must set partitioner=murmur2_random: their "
        "default, consistent_random, hashes with CRC32, and a keyed record a processor finds on another "
        "partition than its key's is dead-lettered as WRONG_PARTITION (error-kind partition), "
        "changing no state."
    )
    keys = {
        spec.name: doc["components"]["messages"][message_name(spec)]["bindings"]["kafka"]["key"]
        for spec in ALL
    }
    assert keys == {
        spec.name: {
            "type": "string",
            "description": f"{spec.key} (UTF-8); partition = murmur2(key); "
            "librdkafka clients: partitioner=murmur2_random",
        }
        for spec in ALL
    }


def test_operations_cover_every_service_and_one_writer_per_topic() -> None:
    assert set(FLOWS) == {s.name for s in SERVICES}
    doc = document()
    senders: dict[str, set[str]] = {}
    for operation_id, operation in doc["operations"].items():
        service, action, topic = operation_id.split("_")
        if action == "send":
            senders.setdefault(topic, set()).add(service)
        assert operation["channel"] == {"$ref": f"#/channels/{topic}"}
    shared = {Topics.ORDER_VALIDATIONS.name, Topics.DEAD_LETTERS.name}  # SPEC §1: one writer per check
    assert {t: len(s) for t, s in senders.items() if t not in shared} == {
        spec.name: 1 for spec in ALL if spec.name not in shared
    }
    assert senders[Topics.ORDER_VALIDATIONS.name] == {"order-details", "inventory", "fraud"}


async def test_query_api_serves_the_document_of_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_TOPIC_PREFIX", "test.")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker-1:9092,broker-2:9092")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    transport = httpx.ASGITransport(app=create_app(QuerySettings()))  # no lifespan: no Kafka
    async with httpx.AsyncClient(transport=transport, base_url="http://query-api") as client:
        answer = await client.get("/asyncapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["channels"]["orders"]["address"] == "test.orders"
    assert body["servers"]["kafka"]["host"] == "broker-1:9092"
    assert body["components"]["securitySchemes"]["kafkaSasl"]["type"] == "scramSha512"  # the default
    cluster = Cluster("broker-1:9092,broker-2:9092", topic_prefix="test.", security_protocol="SASL_SSL")
    assert body == json.loads(json.dumps(document(cluster)))
