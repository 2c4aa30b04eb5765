"""Offline checks of the dashboards and alert rules, with the tools ``make deploy-tools`` builds.

- ``promtool`` (Prometheus's own): ``check rules`` (syntax, PromQL, templates, lint),
  ``test rules`` (``alerts-test.yaml``: which alerts fire when, with which labels and annotations)
  and ``check config`` (the Compose ``prometheus.yml`` and the rule files it loads);
- ``observability-check`` (``infra/observability/checker``): each dashboard decoded strictly against
  Grafana's dashboard schema as grafana-foundation-sdk generates it, and the series selectors of any
  PromQL expression, parsed by Prometheus's own parser.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from schemas.exceptions import ShopStreamError

OBSERVABILITY = Path(__file__).resolve().parent
REPO = OBSERVABILITY.parents[1]
PROMETHEUS_DIR = OBSERVABILITY / "prometheus"
RULE_FILES = (PROMETHEUS_DIR / "alerts.yaml", PROMETHEUS_DIR / "kafka-alerts.yaml")
RULE_TESTS = PROMETHEUS_DIR / "alerts-test.yaml"
COMPOSE_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
DASHBOARDS = tuple(sorted((OBSERVABILITY / "grafana" / "dashboards").glob("*.json")))
# Grafana replaces these before a query reaches Prometheus; any duration parses the same way
GRAFANA_INTERVALS = re.compile(r"\$__(rate_interval|interval|range)\b")


class ToolMissing(ShopStreamError):
    """A checker that ``make deploy-tools`` builds is not there."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one tool run said: its command, exit code and output (stdout then stderr)."""

    command: list[str]
    returncode: int
    output: str


@dataclass(frozen=True, slots=True)
class Selector:
    """One series selector of a PromQL expression: ``name{label op "value", ...}``."""

    name: str
    matchers: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class Query:
    """A PromQL expression, where it is (``file: panel or alert``), and its selectors or parse error."""

    where: str
    expr: str
    selectors: tuple[Selector, ...]
    error: str | None


def tool(name: str) -> str:
    """The binary ``name``: ``.local/bin/<name>`` (``make deploy-tools``), else one on PATH."""
    local = REPO / ".local" / "bin" / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(f"{name} not found (make deploy-tools builds it into .local/bin)")
    return found


def run(name: str, *args: str, cwd: Path = PROMETHEUS_DIR, stdin: str | None = None) -> Outcome:
    """Run the tool ``name`` with ``args`` in ``cwd``, paths in ``args`` relative to it."""
    command = [tool(name), *args]
    done = subprocess.run(  # noqa: S603 - a tool of ours and paths of ours
        command, cwd=cwd, input=stdin, capture_output=True, text=True, check=False
    )
    return Outcome(command, done.returncode, done.stdout + done.stderr)


def check_rules() -> Outcome:
    """``promtool check rules --lint=all --lint-fatal`` on every rule file."""
    return run("promtool", "check", "rules", "--lint=all", "--lint-fatal", *(p.name for p in RULE_FILES))


def run_rule_tests() -> Outcome:
    """``promtool test rules alerts-test.yaml``: the alerts' unit tests."""
    return run("promtool", "test", "rules", RULE_TESTS.name)


def check_config() -> Outcome:
    """``promtool check config`` on the Compose Prometheus configuration and its rule files."""
    return run("promtool", "check", "config", "--lint=all", "--lint-fatal", COMPOSE_CONFIG.name)


def check_dashboards(paths: tuple[Path, ...] = DASHBOARDS) -> Outcome:
    """``observability-check dashboard``: each dashboard (all in one folder) decoded strictly."""
    folder = paths[0].parent
    return run("observability-check", "dashboard", *(str(p.relative_to(folder)) for p in paths), cwd=folder)


def rule_exprs(path: Path) -> Iterator[tuple[str, str]]:
    """``(where, expr)`` of every rule of a Prometheus rule file."""
    for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
        for rule in group["rules"]:
            yield f"{path.name}: {rule.get('alert') or rule.get('record')}", str(rule["expr"])


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel of a dashboard, those inside collapsed rows too."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_exprs(path: Path) -> Iterator[tuple[str, str]]:
    """``(where, expr)`` of every query of a dashboard, Grafana's interval macros made durations."""
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            where = f"{path.name}: {panel.get('title')} {target.get('refId')}"
            yield where, GRAFANA_INTERVALS.sub("5m", str(target["expr"]))
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        if variable.get("type") == "query" and isinstance(query, dict):
            # label_values(metric, label) is Grafana's, not PromQL: its metric is a selector
            match = re.fullmatch(r"label_values\((.+),\s*\w+\)", str(query["query"]))
            if match:
                yield f"{path.name}: variable {variable['name']}", match.group(1)


def parse(exprs: list[tuple[str, str]]) -> list[Query]:
    """Parse every expression with Prometheus's parser (``observability-check selectors``)."""
    outcome = run("observability-check", "selectors", stdin=json.dumps([expr for _, expr in exprs]))
    if outcome.returncode != 0:
        raise RuntimeError(f"observability-check selectors failed: {outcome.output}")
    parsed = json.loads(outcome.output)
    return [
        Query(
            where=where,
            expr=expr,
            selectors=tuple(
                Selector(s["name"], tuple((m[0], m[1], m[2]) for m in s["matchers"]))
                for s in result["selectors"]
            ),
            error=result.get("error"),
        )
        for (where, expr), result in zip(exprs, parsed, strict=True)
    ]


def all_queries() -> list[Query]:
    """Every expression of the rule files and dashboards, parsed."""
    exprs = [pair for path in RULE_FILES for pair in rule_exprs(path)]
    exprs += [pair for path in DASHBOARDS for pair in dashboard_exprs(path)]
    return parse(exprs)
