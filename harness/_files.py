"""Files one tier writes and another reads: each is a pydantic model, written and read by the same
class, so a reader never guesses at a shape (`sla.json`, `chaos.json`, `summary.json`,
`pyramid.json`, `stack.json`). Their JSON Schemas are generated from the models into
`docs/schemas/` (`python -m harness._files`), and a test fails when the two disagree.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._exceptions import HarnessError

__all__ = ["TypedFile"]


class TypedFile(BaseModel):
    """Base of the typed files: `schema` names the format and its version ("harness.sla/1")."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    SCHEMA: ClassVar[str] = "harness.file/1"
    #: What a reader raises for a file that is not one (a subclass of HarnessError).
    ERROR: ClassVar[type[HarnessError]] = HarnessError
    #: What to do about a missing or broken file, for the error message.
    FIX: ClassVar[str] = "write it again"

    schema_: str = Field("", alias="schema")

    def model_post_init(self, context: Any) -> None:
        if not self.schema_:
            self.schema_ = self.SCHEMA

    def dumps(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"

    def write(self, path: str | Path) -> Path:
        """Atomically: a run killed while writing leaves the previous file, never half of one."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
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
            doc = cls.model_validate_json(text)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "file"
            raise cls.ERROR(f"{where}: not a {cls.SCHEMA} file ({field}: {err['msg']}); {cls.FIX}") from None
        if doc.schema_.split("/")[0] != cls.SCHEMA.split("/")[0]:
            raise cls.ERROR(f"{where}: schema is {doc.schema_!r}, not {cls.SCHEMA}; {cls.FIX}")
        return doc
