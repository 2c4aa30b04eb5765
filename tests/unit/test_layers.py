"""Every module of ``infra`` sits in a layer of the import-linter contract (issue 16).

import-linter checks only the modules a contract names: an ``infra`` module left out of the layers
could import a service, and a service could import it, without ``make lint`` saying a word.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def layered_modules() -> set[str]:
    """The modules named in the layers contract of pyproject.toml."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return {name.strip() for layer in layers for part in layer.split("|") for name in part.split(":")}


def infra_modules() -> set[str]:
    """``infra``'s modules and packages, one level down (a package's own modules go with it)."""
    found = {f"infra.{p.stem}" for p in (REPO / "infra").glob("*.py") if p.stem != "__init__"}
    found |= {f"infra.{p.parent.name}" for p in (REPO / "infra").glob("*/__init__.py")}
    return found


def test_every_infra_module_is_in_a_layer() -> None:
    assert infra_modules() - layered_modules() == set()


def test_the_layers_name_no_module_that_is_gone() -> None:
    named_in_infra = {name for name in layered_modules() if name.startswith("infra.")}
    assert named_in_infra - infra_modules() == set()
