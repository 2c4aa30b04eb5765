"""A client of the Confluent Schema Registry REST API (Confluent, Karapace, Redpanda, Apicurio ccompat).

Subjects follow TopicNameStrategy (``<topic>-value``). Every answer is cached, so a running service
only calls the registry at start-up and the first time it meets a schema id it has not seen.
"""

from __future__ import annotations

import json
import threading
from types import TracebackType
from typing import Any, Self

import httpx

from schemas import store
from schemas.exceptions import SchemaError

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class RegistryError(SchemaError):
    """The registry refused a request or could not be reached."""


class IncompatibleSchema(RegistryError):
    """The registry refused a schema as incompatible with the subject's earlier versions."""


def subject_of(topic: str) -> str:
    """TopicNameStrategy: the value subject of ``topic``."""
    return f"{topic}-value"


class SchemaRegistry:
    """Registers, looks up and fetches Avro schemas; thread-safe caches by subject and by id."""

    def __init__(self, url: str, auth: tuple[str, str] | None = None, timeout_s: float = 5.0) -> None:
        self._http = httpx.Client(
            base_url=url.rstrip("/"), auth=auth, timeout=timeout_s, headers={"Accept": CONTENT_TYPE}
        )
        self._ids: dict[tuple[str, bytes], int] = {}
        self._by_id: dict[int, store.Schema] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One request; errors become :class:`RegistryError` naming the registry's message."""
        try:
            response = self._http.request(
                method, path, json=body, headers={"Content-Type": CONTENT_TYPE} if body else None
            )
        except httpx.HTTPError as exc:
            raise RegistryError(f"schema registry unreachable: {exc!r}") from exc
        if response.status_code == 409:
            raise IncompatibleSchema(f"{method} {path}: {response.text[:500]}")
        if response.status_code >= 400:
            raise RegistryError(f"{method} {path}: HTTP {response.status_code} {response.text[:500]}")
        return response.json()

    def register(self, subject: str, schema: store.Schema) -> int:
        """The id of ``schema`` under ``subject``, registering it if the subject lacks it."""
        return self._id(subject, schema, lambda: f"/subjects/{subject}/versions")

    def lookup(self, subject: str, schema: store.Schema) -> int:
        """The id of ``schema`` under ``subject``; fails if it was never registered there."""
        return self._id(subject, schema, lambda: f"/subjects/{subject}")

    def _id(self, subject: str, schema: store.Schema, path: Any) -> int:
        """Cached id of (subject, schema), from a POST to ``path()`` on a miss."""
        key = (subject, schema.fingerprint)
        with self._lock:
            cached = self._ids.get(key)
        if cached is not None:
            return cached
        answer = self._call("POST", path(), {"schema": schema.text, "schemaType": "AVRO"})
        schema_id = int(answer["id"])
        with self._lock:
            self._ids[key] = schema_id
            self._by_id.setdefault(schema_id, schema)
        return schema_id

    def schema_by_id(self, schema_id: int) -> store.Schema:
        """The schema with global id ``schema_id`` (fetched once, then cached)."""
        with self._lock:
            cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        answer = self._call("GET", f"/schemas/ids/{schema_id}")
        schema = store.from_definition(json.loads(answer["schema"]))
        with self._lock:
            return self._by_id.setdefault(schema_id, schema)

    def subjects(self) -> list[str]:
        """Every subject the registry knows."""
        return [str(s) for s in self._call("GET", "/subjects")]

    def set_compatibility(self, subject: str, level: str) -> None:
        """Set the subject's compatibility level (e.g. ``BACKWARD_TRANSITIVE``)."""
        self._call("PUT", f"/config/{subject}", {"compatibility": level})

    def is_compatible(self, subject: str, schema: store.Schema) -> bool:
        """Whether ``schema`` may be registered under ``subject`` as its next version."""
        answer = self._call(
            "POST",
            f"/compatibility/subjects/{subject}/versions/latest",
            {"schema": schema.text, "schemaType": "AVRO"},
        )
        return bool(answer.get("is_compatible"))
