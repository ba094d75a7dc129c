"""Files one tier writes and another reads: each is a pydantic model, written and read by the same
class, so a reader never guesses at a shape (`sla.json`, `chaos.json`, `summary.json`,
`pyramid.json`, `stack.json` and its `faults.json`). Their JSON Schemas are generated from the
models into `docs/schemas/` (`python -m harness._files`; `--check` only compares), and a test fails when the
two disagree.

    record = StackRecord(...)          # a TypedFile subclass
    record.write(path)                 # atomically
    StackRecord.read(path)             # the same object, or one line: the file, what, the fix

A file names its format and version in `schema` ("harness.sla/1"). Within a version fields are
only added, each with a default, so that a file written before it still reads; a breaking change
bumps the version, and a reader refuses a file of another one. A field a reader does not know is
refused too (`extra="forbid"`: a writer's typo fails at once), except where files of other harness
versions are read on purpose (`summary.json`: see `harness.report._summary`).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from ._exceptions import HarnessError

__all__ = [
    "FORMATS",
    "SCHEMAS_DIR",
    "Figure",
    "TypedFile",
    "formats",
    "render_schemas",
    "schema_file",
    "stale_schemas",
]

#: Every typed file, as "module:class". Named, not imported: this module is the bottom layer, and
#: the formats live in the tiers above it; only the generator and its test load them.
FORMATS: tuple[str, ...] = (
    "harness.stack._stack:StackRecord",
    "harness.stack._faults_journal:FaultJournal",
    "harness.measure._sla_report:SlaReport",
    "harness.measure._chaos_report:ChaosReport",
    "harness.report._pyramid:PyramidRecord",
    "harness.report._summary:Summary",
    "harness.llm.cassette._model:Cassette",
    "harness.trials._record:TrialsRecord",
    "harness.mutate._record:MutationRecord",
    "harness.traces._summary:TracesRecord",
)
#: Where the generated schemas are committed: docs/schemas/ of this repository.
SCHEMAS_DIR = Path(__file__).resolve().parents[1] / "docs" / "schemas"


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


#: A measured number, null when nothing could be measured (NaN and infinities are stored as null,
#: which is what JSON would make of them anyway, so a file reads back as the object written).
Figure = Annotated[float | None, BeforeValidator(_finite)]


class TypedFile(BaseModel):
    """Base of the typed files: `schema` names the format and its version ("harness.sla/1")."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    SCHEMA: ClassVar[str] = "harness.file/1"
    #: What a reader raises for a file that is not one (a subclass of HarnessError).
    ERROR: ClassVar[type[HarnessError]] = HarnessError
    #: What to do about a missing or broken file, for the error message.
    FIX: ClassVar[str] = "write it again"

    # A file without one (pyramid.json before it had a schema) reads as the current version.
    schema_: str = Field("", alias="schema")

    @model_validator(mode="before")
    @classmethod
    def _same_format(cls, data: Any) -> Any:
        got = data.get("schema", data.get("schema_")) if isinstance(data, dict) else None
        if got not in (None, "", cls.SCHEMA):
            raise PydanticCustomError(
                "wrong_schema", "schema is {got}, not {want}", {"got": repr(got), "want": cls.SCHEMA}
            )
        return data

    def model_post_init(self, context: Any) -> None:
        if not self.schema_:
            self.schema_ = self.SCHEMA

    def dumps(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"

    def write(self, path: str | Path) -> Path:
        """Atomically: a run killed while writing leaves the previous file, never half of one."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(self.dumps(), encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def read(cls, path: str | Path) -> Self:
        path = Path(path)
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise cls.ERROR(f"{path}: cannot read it ({exc.strerror or exc}); {cls.FIX}") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: bytes | str, where: str = "<text>") -> Self:
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            err = exc.errors()[0]
            if err["type"] == "wrong_schema":
                raise cls.ERROR(f"{where}: {err['msg']}; {cls.FIX}") from None
            field = ".".join(str(p) for p in err["loc"]) or "file"
            message = err["msg"].splitlines()[0]
            raise cls.ERROR(f"{where}: not a {cls.SCHEMA} file ({field}: {message}); {cls.FIX}") from None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The file's JSON Schema, as committed in docs/schemas/."""
        schema = cls.model_json_schema(by_alias=True)
        schema["properties"]["schema"] = {
            "const": cls.SCHEMA,
            "description": "the format and its version; absent reads as this one",
        }
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": cls.SCHEMA}


def formats() -> list[type[TypedFile]]:
    """The classes of `FORMATS`, imported."""
    found = []
    for entry in FORMATS:
        module, name = entry.split(":")
        cls = getattr(importlib.import_module(module), name)
        if not (isinstance(cls, type) and issubclass(cls, TypedFile)):
            raise TypeError(f"{entry} is not a TypedFile")
        found.append(cls)
    return found


def schema_file(cls: type[TypedFile]) -> str:
    """The file of its schema: harness.sla/1 -> sla.schema.json."""
    return cls.SCHEMA.split("/")[0].removeprefix("harness.") + ".schema.json"


def render_schemas(classes: Sequence[type[TypedFile]]) -> dict[str, str]:
    """{file name: its text} of each class's schema."""
    return {schema_file(c): json.dumps(c.json_schema(), indent=2, ensure_ascii=False) + "\n" for c in classes}


def stale_schemas(folder: Path, classes: Sequence[type[TypedFile]]) -> list[str]:
    """One line per schema file in `folder` that is missing, differs from its model, or has none."""
    wanted = render_schemas(classes)
    out = []
    for name, text in wanted.items():
        path = folder / name
        if not path.exists():
            out.append(f"{path}: missing")
        elif path.read_text(encoding="utf-8") != text:
            out.append(f"{path}: differs from its model")
    out += [f"{p}: no model writes it" for p in sorted(folder.glob("*.schema.json")) if p.name not in wanted]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness._files", description="Write the typed files' JSON Schemas."
    )
    parser.add_argument("--out", type=Path, default=SCHEMAS_DIR, help=f"folder (default {SCHEMAS_DIR})")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if any differs")
    args = parser.parse_args(argv)
    classes = formats()
    if args.check:
        problems = stale_schemas(args.out, classes)
        for line in problems:
            print(f"{line}; regenerate with `python -m harness._files`", file=sys.stderr)
        return 1 if problems else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for stray in args.out.glob("*.schema.json"):
        stray.unlink()
    for name, text in render_schemas(classes).items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(args.out / name)
    return 0


if __name__ == "__main__":
    # Run as a script this module is `__main__`, whose TypedFile is not the one the formats
    # subclass: the importable module does the work.
    from harness._files import main as _main

    sys.exit(_main())
