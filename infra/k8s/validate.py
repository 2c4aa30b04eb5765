"""Offline validation of the Kubernetes manifests: render an overlay, check every object's schema, review it.

- built-in kinds against the Kubernetes OpenAPI schemas shipped by ``kubernetes-validate`` (strict:
  an unknown field is an error, as ``kubectl apply --validate=strict`` would say);
- Strimzi and Prometheus Operator kinds against the CRDs copied into ``infra/k8s/crds/<operator>/``
  (unknown fields rejected too);
- :func:`review`: what a reviewer checks beyond schemas (limits, probes, selectors, tags, secrets,
  processors not scaled past their partitions).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from infra.k8s.manifests import K8S_DIR
from schemas.asyncapi import FLOWS
from schemas.exceptions import ShopStreamError

REPO = K8S_DIR.parents[1]
CRDS = K8S_DIR / "crds"
OVERLAYS = K8S_DIR / "overlays"
KUSTOMIZE_ENV = "KUSTOMIZE"
KUBERNETES_VERSION = "1.37.0"
WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job"})
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "JAAS", "API_KEY")

Obj = dict[str, Any]


class RenderError(ShopStreamError):
    """kustomize failed or is missing."""


def kustomize() -> str:
    """The kustomize binary: ``$KUSTOMIZE``, the project's ``.local/bin/kustomize``, or one on PATH."""
    for candidate in (os.environ.get(KUSTOMIZE_ENV), str(REPO / ".local" / "bin" / "kustomize")):
        if candidate and Path(candidate).is_file():
            return candidate
    found = shutil.which("kustomize")
    if found is None:
        raise RenderError("kustomize not found (make deploy-tools installs it into .local/bin)")
    return found


def render(target: Path) -> list[Obj]:
    """``kustomize build target``, parsed into objects."""
    done = subprocess.run(  # noqa: S603 - a fixed binary and a path of ours
        [kustomize(), "build", str(target)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RenderError(f"kustomize build {target} failed: {done.stderr.strip()}")
    return [obj for obj in yaml.safe_load_all(done.stdout) if obj]


def ident(obj: Obj) -> str:
    """``Kind/name`` of an object, for messages."""
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def _strict(node: Any) -> Any:
    """A CRD schema that rejects unknown fields wherever it lists properties and preserves none."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    strict = {key: _strict(value) for key, value in node.items()}
    if (
        "properties" in strict
        and "additionalProperties" not in strict
        and not strict.get("x-kubernetes-preserve-unknown-fields")
    ):
        strict["additionalProperties"] = False
    return strict


@cache
def crd_schemas() -> dict[tuple[str, str], Obj]:
    """``(apiVersion, kind)`` → the strict schema of every CRD version in ``crds/*/``."""
    schemas: dict[tuple[str, str], Obj] = {}
    for path in sorted(CRDS.glob("*/*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = _strict(version["schema"]["openAPIV3Schema"])
            # metadata is the API server's ObjectMeta, which the CRD leaves open
            schema.setdefault("properties", {})["metadata"] = {"type": "object"}
            schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


def schema_errors(obj: Obj) -> list[str]:
    """Every way ``obj`` breaks its kind's schema (CRD or built-in); empty when it is valid."""
    key = (str(obj.get("apiVersion")), str(obj.get("kind")))
    crd = crd_schemas().get(key)
    if crd is not None:
        validator = jsonschema.Draft7Validator(crd)
        return [
            f"{ident(obj)}: {'.'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
            for error in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
        ]
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{ident(obj)}: no schema for {key[0]} {key[1]}"]
    except kubernetes_validate.ValidationError as exc:
        return [f"{ident(obj)}: {'.'.join(map(str, exc.path)) or '<root>'}: {exc.message}"]
    return []


def pod_template(obj: Obj) -> Obj | None:
    """The pod template of a workload, else None."""
    if obj.get("kind") not in WORKLOADS:
        return None
    template: Obj = obj["spec"]["template"]
    return template


def _containers(obj: Obj) -> Iterator[Obj]:
    template = pod_template(obj)
    if template is not None:
        spec = template.get("spec", {})
        yield from spec.get("initContainers", [])
        yield from spec.get("containers", [])


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pinned(image: str) -> bool:
    """True for an image named by digest or by a tag other than ``latest``."""
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and last.rsplit(":", 1)[1] != "latest"


def _container_problems(obj: Obj, container: Obj) -> Iterator[str]:
    """Limits, probes, a pinned image and no literal secret in one container."""
    where = f"{ident(obj)} container {container.get('name')}"
    resources = container.get("resources", {})
    for section in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in resources.get(section, {}):
                yield f"{where}: no {resource} {section[:-1]}"
    image = str(container.get("image", ""))
    if not pinned(image):
        yield f"{where}: image {image!r} is not pinned (it needs a version tag or a digest)"
    yield from _probe_problems(where, container)
    for env in container.get("env", []):
        if any(word in env["name"].upper() for word in SECRET_WORDS) and "value" in env:
            yield f"{where}: {env['name']} is a literal value, not a Secret reference"


def _probe_problems(where: str, container: Obj) -> Iterator[str]:
    """Liveness and readiness probes present, every probe on a port the container names."""
    for probe in ("livenessProbe", "readinessProbe"):
        if probe not in container:
            yield f"{where}: no {probe}"
    ports = {p.get("name") for p in container.get("ports", [])}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        port = container.get(probe, {}).get("httpGet", {}).get("port")
        if isinstance(port, str) and port not in ports:
            yield f"{where}: {probe} uses port {port!r}, which the container does not name"


def _selector_problems(obj: Obj, pods: list[dict[str, str]], names: set[tuple[str, str]]) -> Iterator[str]:
    """Selectors that select nothing, and autoscalers aimed at nothing."""
    kind, spec = obj.get("kind"), obj.get("spec", {})
    template = pod_template(obj)
    if template is not None:
        selector = spec.get("selector", {}).get("matchLabels", {})
        if not _matches(selector, template.get("metadata", {}).get("labels", {})):
            yield f"{ident(obj)}: selector {selector} does not match its pod labels"
    if kind == "Service" and spec.get("selector"):
        if not any(_matches(spec["selector"], labels) for labels in pods):
            yield f"{ident(obj)}: selector {spec['selector']} matches no pod"
    if kind == "PodDisruptionBudget":
        selector = spec.get("selector", {}).get("matchLabels", {})
        if not any(_matches(selector, labels) for labels in pods):
            yield f"{ident(obj)}: selector {selector} matches no pod"
    if kind == "HorizontalPodAutoscaler":
        target = spec["scaleTargetRef"]
        if (target["kind"], target["name"]) not in names:
            yield f"{ident(obj)}: scales {target['kind']}/{target['name']}, which does not exist"


def _partition_problems(objects: list[Obj]) -> Iterator[str]:
    """A processor with more workers than the partitions of a topic it reads (the rest would idle)."""
    partitions = {
        obj["spec"].get("topicName", obj["metadata"]["name"]): obj["spec"]["partitions"]
        for obj in objects
        if obj.get("kind") == "KafkaTopic"
    }
    prefix = _settings(objects).get("KAFKA_TOPIC_PREFIX", "")
    for obj in objects:
        if obj.get("kind") != "StatefulSet":
            continue
        flow = FLOWS.get(obj["metadata"]["name"])
        if flow is None:
            yield f"{ident(obj)}: not a processor of SPEC §1"
            continue
        for spec in flow.receives:
            count = partitions.get(spec.full_name(prefix))
            if count is None:
                yield f"{ident(obj)}: reads {spec.full_name(prefix)}, which has no KafkaTopic"
            elif obj["spec"].get("replicas", 1) > count:
                yield f"{ident(obj)}: {obj['spec']['replicas']} replicas > {count} partitions of {spec.name}"


def _settings(objects: Iterable[Obj]) -> dict[str, str]:
    """The settings ConfigMap's data (empty if there is none)."""
    for obj in objects:
        if obj.get("kind") == "ConfigMap" and obj["metadata"]["name"].startswith("shopstream-settings"):
            return dict(obj.get("data", {}))
    return {}


def _state_problems(objects: list[Obj]) -> Iterator[str]:
    """Processors keep RocksDB tables on their own volume, where ``PROCESSOR_DATA_DIR`` points."""
    settings = _settings(objects)
    if settings.get("PROCESSOR_STORE") != "rocksdb://":
        yield f"ConfigMap: PROCESSOR_STORE is {settings.get('PROCESSOR_STORE')!r}, not rocksdb://"
    for obj in objects:
        if obj.get("kind") != "StatefulSet":
            continue
        claims = {c["metadata"]["name"] for c in obj["spec"].get("volumeClaimTemplates", [])}
        mounts = {m["mountPath"]: m["name"] for c in _containers(obj) for m in c.get("volumeMounts", [])}
        if mounts.get(settings.get("PROCESSOR_DATA_DIR", "")) not in claims:
            yield f"{ident(obj)}: PROCESSOR_DATA_DIR is not on a volume claim template"


def review(objects: list[Obj]) -> list[str]:
    """What a reviewer would flag in a rendered overlay; empty when there is nothing."""
    pods = [t.get("metadata", {}).get("labels", {}) for t in map(pod_template, objects) if t is not None]
    names = {(str(o.get("kind")), str(o["metadata"]["name"])) for o in objects}
    found: list[str] = []
    for obj in objects:
        for container in _containers(obj):
            found.extend(_container_problems(obj, container))
        found.extend(_selector_problems(obj, pods, names))
        if obj.get("kind") == "Secret" and (obj.get("data") or obj.get("stringData")):
            found.append(f"{ident(obj)}: a literal Secret in the manifests")
    found.extend(_partition_problems(objects))
    found.extend(_state_problems(objects))
    return found
