"""Turn a `--system` spec, or the declaration, into a system under test.

http://host:port/path      an HTTP endpoint posting `{"query": ...}` (or the declared contract)
package.module:attr        a compiled LangGraph graph, a callable, a SystemUnderTest,
                           or a zero-argument factory returning one of those
(nothing)                  the declared system: `[tool.harness.system] python`, else its `url`
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from pathlib import Path
from typing import Any

from .._exceptions import ConfigError
from ._adapters import CallableSystem, GraphSystem
from ._declaration import SystemDeclaration, load_declaration
from ._http import HTTPSystem
from ._model import SystemUnderTest

__all__ = ["load_graph", "load_system"]


def load_system(spec: str | None = None, *, declaration: SystemDeclaration | None = None) -> SystemUnderTest:
    """The system `spec` names, or the declared one when `spec` is None."""
    decl = declaration or load_declaration()
    spec = spec or decl.python or decl.url
    if not spec:
        raise ConfigError(
            "no system to test: set [tool.harness.system] python = 'pkg.module:attr' (in process) "
            "or url = 'http://127.0.0.1:PORT' (running), or pass --system"
        )
    if spec.startswith(("http://", "https://")):
        declared = spec == decl.url
        if not declared:
            return HTTPSystem(spec)
        return HTTPSystem(spec, decl.http, name=decl.name, routes=decl.vocabulary.routes)
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ConfigError(f"--system {spec!r}: use an http(s) URL or 'package.module:attribute'")
    try:
        target = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"--system {spec!r}: cannot import it ({exc}); is it on PYTHONPATH?") from None
    return _wrap(target, spec)


def _wrap(target: Any, spec: str) -> SystemUnderTest:
    if isinstance(target, SystemUnderTest):
        return target
    if hasattr(target, "ainvoke") and hasattr(target, "get_graph"):
        return GraphSystem(target, name=spec)
    if callable(target):
        params = inspect.signature(target).parameters.values()
        if all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            return _wrap(target(), spec)  # a factory: nothing it must be given
        return CallableSystem(target, name=spec)
    raise ConfigError(
        f"--system {spec!r} is a {type(target).__name__}; expected a compiled LangGraph graph, "
        "a callable taking the query, or a SystemUnderTest"
    )


def load_graph(
    spec: str, *, declaration: SystemDeclaration | None = None, folder: Path | None = None
) -> GraphSystem | None:
    """The system `spec` names, to look at (its edges, its nodes), never to run: a GraphSystem,
    or None when `spec` names something else. Importable from `folder` too. Built with a
    placeholder `OPENAI_API_KEY` when none is set: building an LLM client asks for one, and no
    call is made."""
    path = str(folder.resolve()) if folder is not None else None
    if path is not None:
        sys.path.insert(0, path)
    placeholder = "OPENAI_API_KEY" not in os.environ
    os.environ.setdefault("OPENAI_API_KEY", "harness-placeholder")
    try:
        system = load_system(spec, declaration=declaration)
    finally:
        if path is not None:
            sys.path.remove(path)
        if placeholder:
            os.environ.pop("OPENAI_API_KEY", None)
    return system if isinstance(system, GraphSystem) else None
