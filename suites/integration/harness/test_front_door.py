"""The public API: one front door (`harness/__init__.py`) with a sorted, lazy, importable `__all__`,
a typed package, and no public name that means two different things across the subpackages."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import harness

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

# Every public subpackage and module (no part of its path private), but the locustfile, which
# patches gevent on import and is only ever run by Locust.
PUBLIC = sorted(
    m.name
    for m in pkgutil.walk_packages(harness.__path__, "harness.")
    if not any(part.startswith("_") for part in m.name.split(".")[1:]) and not m.name.endswith("locustfile")
)


def test_all_is_sorted_and_unique() -> None:
    assert harness.__all__ == sorted(harness.__all__)
    assert len(set(harness.__all__)) == len(harness.__all__)


def test_every_public_name_imports() -> None:
    for name in harness.__all__:
        assert getattr(harness, name) is not None, name
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = harness.nope  # type: ignore[attr-defined]


def test_the_front_door_is_lazy() -> None:
    code = "import sys, harness; print(sorted(m for m in sys.modules if m.startswith('harness')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['harness']"


def test_the_package_is_typed() -> None:
    assert (Path(harness.__file__).parent / "py.typed").is_file()


def test_the_exception_tree_is_complete() -> None:
    from harness import _exceptions

    errors = {n for n in _exceptions.__all__ if n.endswith("Error")}
    assert errors <= set(harness.__all__)
    assert all(issubclass(getattr(harness, n), harness.HarnessError) for n in errors)


@pytest.mark.parametrize("module", PUBLIC)
def test_a_subpackage_lists_only_what_it_has(module: str) -> None:
    mod = importlib.import_module(module)
    names = getattr(mod, "__all__", [])
    assert names == sorted(names, key=_isort), f"{module}.__all__ is not sorted"
    missing = [n for n in names if not hasattr(mod, n)]
    assert not missing, f"{module}.__all__ names what it does not have: {missing}"


def test_no_public_name_means_two_things() -> None:
    seen: dict[str, tuple[str, object]] = {}
    clashes = []
    for module in ["harness", *PUBLIC]:
        mod = importlib.import_module(module)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if name in seen and seen[name][1] is not obj:
                clashes.append(f"{name}: {seen[name][0]} and {module}")
            seen.setdefault(name, (module, obj))
    assert not clashes


def test_cli_glue_is_not_public() -> None:
    glue = {"add_arguments", "run", "main", "add_report_arguments", "run_report", "run_gate", "run_compare"}
    for module in ["harness", *PUBLIC]:
        names = set(getattr(importlib.import_module(module), "__all__", []))
        assert not names & glue, f"{module} exports CLI glue: {sorted(names & glue)}"


def _isort(name: str) -> tuple[int, str]:
    """ruff's order for `__all__`: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)
