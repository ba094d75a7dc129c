"""Reading the TOML that configures load runs: pyproject tables and profile files, merged key by key."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._exceptions import LoadError

__all__ = ["deep_merge", "find_pyproject", "read_toml", "table"]


def find_pyproject(start: str | Path | None = None) -> Path | None:
    """The nearest pyproject.toml at or above `start` (default: the working directory)."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def read_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LoadError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LoadError(f"{path}: not valid TOML: {exc}") from None


def table(doc: Mapping[str, Any], dotted: str, *, source: str) -> dict[str, Any]:
    """`doc[a][b][c]` for `dotted = "a.b.c"`, or {} when absent; a non-table there is an error."""
    node: Any = doc
    for key in dotted.split("."):
        if not isinstance(node, Mapping):
            raise LoadError(f"{source}: [{dotted}] must be a table")
        node = node.get(key, {})
    if not isinstance(node, Mapping):
        raise LoadError(f"{source}: [{dotted}] must be a table, got {type(node).__name__}")
    return dict(node)


def deep_merge(
    base: Mapping[str, Any], top: Mapping[str, Any], *, whole: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """`top` over `base`; nested tables merge key by key, except the keys in `whole` (replaced)."""
    out = dict(base)
    for key, value in top.items():
        if key not in whole and isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
