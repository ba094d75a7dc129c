"""`harness init`: a team's project gets a starter declaration, a scenarios template and one
starter test per tier, which pass at once against the mock LLM (`harness run`).

Without `--python`, a starter system is written too (`starter_system.py`: one agent, one LLM call
through a default `AsyncOpenAI()`), so every tier has something to run; the team points
`python` at its own system and replaces the scenarios. The HTTP tiers serve the in-process
system with `harness serve`, unless the team declares its own service instead. Nothing that
exists is overwritten (without `--force`), and a pyproject that already declares a system is
left alone.
"""

from __future__ import annotations

import json
import re
import tomllib
from importlib import resources
from pathlib import Path
from string import Template

from ._exceptions import ConfigError

__all__ = ["init_project"]

STARTER_SYSTEM = "starter_system:answer"

_TEMPLATES = "_starter"  # package data: the starter files, as they are written
_TESTS = {  # tests/<tier>/test_<tier>_starter.py: template
    "unit": "test_unit.py.tmpl",
    "integration": "test_integration.py.tmpl",
    "system": "test_system.py.tmpl",
    "chaos": "test_chaos.py.tmpl",
}


def _template(name: str) -> str:
    return (resources.files("harness") / _TEMPLATES / name).read_text(encoding="utf-8")


def _project_name(pyproject: Path, folder: Path) -> str:
    try:
        name = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("name")
    except (OSError, tomllib.TOMLDecodeError):
        name = None
    return str(name or folder.resolve().name)


def _declares_system(text: str) -> bool:
    return re.search(r"^\s*\[tool\.harness\.system[\].]", text, re.MULTILINE) is not None


def _write(path: Path, text: str, force: bool, done: list[str]) -> None:
    if path.exists() and not force:
        done.append(f"kept     {path} (exists; --force overwrites it)")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    done.append(f"wrote    {path}")


def _graph_routes(python: str, folder: Path) -> tuple[str, list[str]] | None:
    """For a LangGraph graph (or a factory of one): its router (the node after START) and the
    nodes it hands to; None when `python` names something else. Imported from `folder`."""
    from ._pathcov import edges_of
    from .sut import load_graph

    try:
        system = load_graph(python, folder=folder)
    except ConfigError as exc:
        raise ConfigError(f"--python {python!r}: {str(exc).split(': ', 1)[-1]}") from None
    if system is None:
        return None
    edges = edges_of(system.graph)
    first = sorted(b for a, b in edges if a == "__start__")
    router = first[0] if first else "__start__"
    return router, sorted(b for a, b in edges if a == router and b not in ("__end__", router))


def _scenarios(routes: list[str]) -> str:
    lines = [
        json.dumps(
            {
                "id": f"{route.lower().replace(' ', '-')}-001",
                "query": f"Replace me: a question that {route} should answer",
                "category": "question",
                "expected": {"route": route, "escalated": False},
            }
        )
        for route in routes
    ]
    return "\n".join(lines) + "\n"


def init_project(folder: Path, *, python: str | None = None, force: bool = False) -> list[str]:
    """Write the starter files into `folder`; one line per file, saying what was done."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder; create it or give the project folder")
    if python is not None and not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", python):
        raise ConfigError(
            f"--python {python!r}: use 'package.module:attribute' (a graph, callable or factory)"
        )
    graph = _graph_routes(python, folder) if python is not None else None
    pyproject, done = folder / "pyproject.toml", []
    text = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    declared = _declares_system(text)
    if declared:
        done.append(f"kept     {pyproject} (it already declares [tool.harness.system])")
    else:
        target = python or STARTER_SYSTEM
        package = target.split(":")[0].split(".")[0]
        name = _project_name(pyproject, folder)
        routes = graph[1] if graph and graph[1] else ["help_desk"]
        block = "\n" + Template(_template("declaration.toml")).substitute(
            name=name, python=target, package=package, routes=json.dumps(routes)
        )
        block += f'router = "{graph[0]}"\n' if graph else "\n" + _template("not_a_graph.toml")
        pyproject.write_text(text.rstrip() + ("\n" if text else "") + block, encoding="utf-8")
        done.append(f"{'added to' if text else 'wrote   '} {pyproject} ([tool.harness.system], its SLA)")
    if python is None and not declared:
        _write(folder / "starter_system.py", _template("starter_system.py.tmpl"), force, done)
    scenarios = _scenarios(graph[1]) if graph and graph[1] else _template("scenarios.jsonl")
    _write(folder / "scenarios.jsonl", scenarios, force, done)
    tests = _TESTS | ({"integration": "test_graph_integration.py.tmpl"} if graph else {})
    for tier, name in tests.items():
        # Distinct names: test modules outside packages must not share one (pytest's rootdir import).
        _write(folder / "tests" / tier / f"test_{tier}_starter.py", _template(name), force, done)
    done.append("next: `harness run` here runs the four tiers against the mock LLM and writes reports/")
    return done
