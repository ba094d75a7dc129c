"""The mutant generator (mutmut's operators over a package) and the copy a mutant is written to."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from harness._exceptions import MutationError
from harness.mutate import PackageSource, find_packages, generate_mutants, sample_mutants
from harness.mutate._pytest_plugin import COPIES_ENV, HYPOTHESIS_ENV, wrong_import
from harness.mutate._workspace import Workspace

pytestmark = pytest.mark.harness_self

SOURCE = '''"""A tiny package."""

LIMIT = 18  # module level: runs at import, never mutated


def is_adult(age):
    return age >= LIMIT


def total(a, b):
    return a + b


def untouched(x):
    return x * 2  # pragma: no mutate
'''


@pytest.fixture
def package(tmp_path: Path) -> PackageSource:
    folder = tmp_path / "src" / "tinypkg"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(SOURCE)
    (folder / "other.py").write_text("def name():\n    return 'tiny'\n")
    return PackageSource("tinypkg", folder)


def test_each_mutant_changes_one_line_inside_a_function(package: PackageSource) -> None:
    mutants = generate_mutants([package], ["tinypkg/__init__.py"])
    seen = {(m.function, m.operator, m.changed_lines()[1:]) for m in mutants}
    assert seen == {
        ("is_adult", "swap_op", ("return age >= LIMIT", "return age > LIMIT")),
        ("total", "swap_op", ("return a + b", "return a - b")),
    }
    for m in mutants:
        before, after = m.original_source().splitlines(), m.render().splitlines()
        assert [i for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y] == [m.line - 1]
    assert [m.number for m in mutants] == [1, 2]
    assert mutants[0].id == f"tinypkg/__init__.py:{mutants[0].line}#1"


def test_modules_choose_files_by_path_glob_or_dotted_name(package: PackageSource) -> None:
    assert {m.file for m in generate_mutants([package])} == {"tinypkg/__init__.py", "tinypkg/other.py"}
    assert {m.file for m in generate_mutants([package], ["tinypkg.other"])} == {"tinypkg/other.py"}
    assert {m.file for m in generate_mutants([package], ["*/other.py"])} == {"tinypkg/other.py"}
    with pytest.raises(MutationError, match=r"--modules 'tinypkg/nope.py' matches no file"):
        generate_mutants([package], ["tinypkg/nope.py"])


def test_a_sample_is_the_same_for_a_seed_and_kept_in_file_order(package: PackageSource) -> None:
    mutants = generate_mutants([package])
    one, again = sample_mutants(mutants, 2, seed=3), sample_mutants(mutants, 2, seed=3)
    assert [m.number for m in one] == [m.number for m in again] == sorted(m.number for m in one)
    assert len(one) == 2
    draws = {tuple(m.number for m in sample_mutants(mutants, 1, seed=s)) for s in range(20)}
    assert len(draws) > 1  # the seed matters
    assert sample_mutants(mutants, None, 0) == mutants


def test_a_package_that_is_not_importable_is_named(
    monkeypatch: pytest.MonkeyPatch, package: PackageSource
) -> None:
    with pytest.raises(MutationError, match="package 'no_such_pkg_x' is not importable here"):
        find_packages(["no_such_pkg_x"])
    monkeypatch.syspath_prepend(str(package.root))
    assert find_packages(["tinypkg"]) == [PackageSource("tinypkg", package.path)]


def test_the_copy_holds_the_mutant_only_inside_the_block(tmp_path: Path, package: PackageSource) -> None:
    workspace = Workspace(tmp_path / "w", [package])
    mutant = generate_mutants([package], ["tinypkg/__init__.py"])[0]
    copy = tmp_path / "w" / "tinypkg" / "__init__.py"
    with workspace.applied(mutant):
        assert "age > LIMIT" in copy.read_text()
    assert copy.read_text() == SOURCE
    with pytest.raises(RuntimeError), workspace.applied(mutant):
        raise RuntimeError("a run that blew up")
    assert copy.read_text() == SOURCE
    assert (package.path / "__init__.py").read_text() == SOURCE  # the work tree: never written


def test_a_run_against_the_copy_puts_it_first_and_drops_an_outer_pytest(
    tmp_path: Path, package: PackageSource
) -> None:
    env = Workspace(tmp_path / "w", [package]).env(
        {"PYTHONPATH": "/elsewhere", "PYTEST_XDIST_WORKER": "gw0", "PYTEST_ADDOPTS": "-x", "KEEP": "1"}
    )
    assert env["PYTHONPATH"].split(":") == [str(tmp_path / "w"), "/elsewhere"]
    assert "PYTEST_XDIST_WORKER" not in env and "PYTEST_ADDOPTS" not in env and env["KEEP"] == "1"
    assert json.loads(env[COPIES_ENV]) == {"tinypkg": str(tmp_path / "w")}
    assert env[HYPOTHESIS_ENV] == str(tmp_path / "w" / ".hypothesis")
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_the_import_check_says_no_when_the_original_comes_first(
    tmp_path: Path, package: PackageSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    Workspace(tmp_path / "w", [package])
    monkeypatch.delitem(sys.modules, "tinypkg", raising=False)
    monkeypatch.syspath_prepend(str(package.root))  # the original, as a `pythonpath` setting would
    problem = wrong_import({"tinypkg": str(tmp_path / "w")})
    assert problem is not None and "not from its mutated copy" in problem
    monkeypatch.syspath_prepend(str(tmp_path / "w"))
    assert wrong_import({"tinypkg": str(tmp_path / "w")}) is None
