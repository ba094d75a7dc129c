"""Turn a `--system` spec into a system under test.

reference                  the reference system in process (LLM from its settings)
http://host:port/v1/chat   an HTTP endpoint
package.module:attr        a compiled LangGraph graph, a callable, a SystemUnderTest,
                           or a zero-argument factory returning one of those
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from .._exceptions import ConfigError
from ._adapters import CallableSystem, GraphSystem, HTTPSystem
from ._model import SystemUnderTest

__all__ = ["load_system", "reference_system"]


def reference_system(**settings: Any) -> SystemUnderTest:
    """The reference system, in process, driven through the same adapter as any callable."""
    from ..reference import SupportSystem, load_settings

    system = SupportSystem(load_settings(**settings))
    return CallableSystem(system.ainvoke, name="reference", close=system.aclose)


def load_system(spec: str, **reference_settings: Any) -> SystemUnderTest:
    if spec == "reference":
        return reference_system(**reference_settings)
    if spec.startswith(("http://", "https://")):
        return HTTPSystem(spec)
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ConfigError(
            f"--system {spec!r}: use 'reference', an http(s) URL, or 'package.module:attribute'"
        )
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
        params = inspect.signature(target).parameters
        if not params:  # a factory
            return _wrap(target(), spec)
        return CallableSystem(target, name=spec)
    raise ConfigError(
        f"--system {spec!r} is a {type(target).__name__}; expected a compiled LangGraph graph, "
        "a callable taking the query, or a SystemUnderTest"
    )
