"""Derives Python types (``schemas/records.py``) from the ``.avsc`` files, the one source of truth.

``python -m schemas.codegen`` rewrites the module; a test fails when the committed file drifts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from schemas import store

TARGET = Path(__file__).with_name("records.py")
PRIMITIVES = {
    "string": "str",
    "boolean": "bool",
    "int": "int",
    "long": "int",
    "float": "float",
    "double": "float",
    "bytes": "bytes",
    "null": "None",
}
HEADER = '''"""Python types of every record, generated from schemas/avro by ``python -m schemas.codegen``.

Do not edit: change the .avsc files and regenerate.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from schemas.clock import EpochMillis
'''


class Generator:
    """Collects the enum aliases and TypedDicts of the named types it meets, once each."""

    def __init__(self) -> None:
        self.blocks: dict[str, str] = {}

    def type_of(self, schema: Any) -> str:
        """The Python annotation of an Avro type."""
        if isinstance(schema, str):
            return PRIMITIVES.get(schema) or schema.rsplit(".", 1)[-1]
        if isinstance(schema, list):
            branches = sorted(schema, key=lambda branch: branch == "null")  # "X | None", not "None | X"
            return " | ".join(self.type_of(s) for s in branches)
        kind = schema["type"]
        if schema.get("logicalType", "").startswith("timestamp"):
            return "EpochMillis"
        if kind == "array":
            return f"list[{self.type_of(schema['items'])}]"
        if kind == "map":
            return f"dict[str, {self.type_of(schema['values'])}]"
        if kind == "enum":
            symbols = ", ".join(f'"{s}"' for s in schema["symbols"])
            self.blocks.setdefault(schema["name"], f"{schema['name']} = Literal[{symbols}]\n")
            return str(schema["name"])
        if kind == "record":
            return self.record(schema)
        return self.type_of(kind)

    def record(self, schema: dict[str, Any]) -> str:
        """Emit the TypedDict of a record (fields with defaults are NotRequired when writing)."""
        name = str(schema["name"])
        if name in self.blocks:
            return name
        self.blocks[name] = ""  # reserve the slot so nested types come first in output order
        lines = [f"class {name}(TypedDict):", f'    """{schema.get("doc", name)}"""', ""]
        for field in schema["fields"]:
            annotation = self.type_of(field["type"])
            if "default" in field:
                annotation = f"NotRequired[{annotation}]"
            lines.append(f"    {field['name']}: {annotation}")
        del self.blocks[name]
        self.blocks[name] = "\n".join(lines) + "\n"
        return name


def render() -> str:
    """The source of ``schemas/records.py`` for the current store, formatted by ruff."""
    generator = Generator()
    for name in store.all_names():
        generator.record(store.load(name).definition)
    source = HEADER + "".join(f"\n\n{block}" for block in generator.blocks.values())
    ruff = str(Path(sys.executable).with_name("ruff"))
    for command in (["check", "--fix", "--select", "I", "--quiet"], ["format"]):
        source = subprocess.run(  # noqa: S603 - our own formatter on our own generated text
            [ruff, *command, "--stdin-filename", str(TARGET), "-"],
            input=source,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return source


def main() -> int:
    """Rewrite records.py; with ``--check``, exit 1 if it differs from what would be written."""
    source = render()
    if "--check" in sys.argv[1:]:
        return 0 if TARGET.read_text() == source else 1
    TARGET.write_text(source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
