"""The mutants of the declared packages, made with mutmut's own mutation operators.

mutmut 3 is driven here as a library, not as `mutmut run`: its visitor (`MutationVisitor`, with
its rules on what not to touch: annotations, decorated functions, `# pragma: no mutate`) and its
operators (`mutation_operators`) find each one-node change; each mutant is then rendered as a
whole, ordinary source file. Rendered so, a mutant is what a bug is: the same file in a copy of
the package, whatever imports it (a pytest process, a service the tier starts, a worker), which
mutmut's trampolines, switched by an env var inside one pytest process, are not.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib.util
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider
from mutmut.mutation.file_mutation import MutationVisitor, deep_replace
from mutmut.mutation.mutators import mutation_operators
from mutmut.mutation.pragma_handling import IgnoredCode, PragmaVisitor

from .._exceptions import MutationError

__all__ = ["Mutant", "PackageSource", "find_packages", "generate_mutants", "sample_mutants"]


@dataclass(frozen=True)
class PackageSource:
    """A declared package: its import name and the folder (or single module) holding it."""

    name: str
    path: Path

    @property
    def root(self) -> Path:
        """The folder that goes on PYTHONPATH for `import name` to find it."""
        return self.path.parent

    def files(self) -> list[Path]:
        if self.path.is_file():
            return [self.path]
        return sorted(p for p in self.path.rglob("*.py") if "__pycache__" not in p.parts)


@dataclass(frozen=True, eq=False)
class Mutant:
    """One change of one node; `render()` is the whole mutated file."""

    number: int  # 1-based, in the order of generation (file, then position)
    package: PackageSource
    file: str  # relative to the package's root, e.g. "my_pkg/_policy.py"
    line: int  # where the changed node starts
    function: str | None
    operator: str  # the mutmut operator, e.g. "swap_op", "string", "arg_removal"
    _module: cst.Module = field(repr=False)
    _old: cst.CSTNode = field(repr=False)
    _new: cst.CSTNode = field(repr=False)

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}#{self.number}"

    def render(self) -> str:
        node = deep_replace(self._module, self._old, self._new)
        assert isinstance(node, cst.Module)
        return node.code

    def original_source(self) -> str:
        return self._module.code

    def changed_lines(self) -> tuple[int, str, str]:
        """(line, original line, mutated line) of the first line the mutation changes."""
        before, after = self.original_source().splitlines(), self.render().splitlines()
        for tag, i1, _, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
            if tag != "equal":
                return i1 + 1, before[i1].strip() if i1 < len(before) else "", _first(after[j1:j2])
        return self.line, "", ""


def _first(lines: Sequence[str]) -> str:
    return lines[0].strip() if lines else "(line removed)"


def find_packages(names: Iterable[str]) -> list[PackageSource]:
    """Where Python finds each package (the installed one, editable or not)."""
    found = []
    for name in names:
        spec = importlib.util.find_spec(name) if name.isidentifier() else None
        if spec is None or not (spec.submodule_search_locations or spec.origin):
            raise MutationError(
                f"package {name!r} is not importable here: install the system under test (pip install -e .) "
                "or set [tool.harness.mutate] packages"
            )
        locations = list(spec.submodule_search_locations or [])
        found.append(PackageSource(name, Path(locations[0] if locations else str(spec.origin))))
    return found


def select_files(
    packages: Sequence[PackageSource], modules: Sequence[str]
) -> list[tuple[PackageSource, Path]]:
    """The files to mutate: all of each package's, or those `modules` names (a path relative to the
    package's root such as "pkg/_retry.py", a glob, or a dotted module name)."""
    files = [(p, f) for p in packages for f in p.files()]
    if not modules:
        return files
    chosen = [(p, f) for p, f in files if any(_matches(p, f, m) for m in modules)]
    for pattern in modules:
        if not any(_matches(p, f, pattern) for p, f in files):
            names = ", ".join(str(f.relative_to(p.root)) for p, f in files[:6])
            raise MutationError(
                f"--modules {pattern!r} matches no file of the packages (files: {names}, ...)"
            )
    return chosen


def _matches(package: PackageSource, path: Path, pattern: str) -> bool:
    relative = path.relative_to(package.root).as_posix()
    dotted = relative.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    return fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(dotted, pattern)


def generate_mutants(packages: Sequence[PackageSource], modules: Sequence[str] = ()) -> list[Mutant]:
    """Every mutant of the chosen files, numbered in file order."""
    found = [m for package, path in select_files(packages, modules) for m in _file_mutants(package, path)]
    return [replace(mutant, number=number) for number, mutant in enumerate(found, 1)]


def _file_mutants(package: PackageSource, path: Path) -> Iterator[Mutant]:
    code = path.read_text(encoding="utf-8")
    wrapper = MetadataWrapper(cst.parse_module(code))
    names: dict[int, str] = {}
    visitor = MutationVisitor(_named_operators(names), _pragmas(str(path), wrapper), None)
    wrapper.visit(visitor)
    positions = wrapper.resolve(PositionProvider)
    relative = path.relative_to(package.root).as_posix()
    for mutation in visitor.mutations:
        function = mutation.contained_by_top_level_function
        # As mutmut does: only code inside functions. Module and class bodies run at import, where
        # a mutant breaks every test at once and says nothing about any one of them.
        if not isinstance(function, cst.FunctionDef):
            continue
        start = positions[mutation.original_node].start.line
        yield Mutant(
            0,
            package,
            relative,
            start,
            function.name.value,
            names[id(mutation.mutated_node)],
            wrapper.module,
            mutation.original_node,
            mutation.mutated_node,
        )


def _pragmas(filename: str, wrapper: MetadataWrapper) -> IgnoredCode:
    # mutmut's own `get_ignored_lines` also reads its [tool.mutmut] config, and fails without one.
    pragmas = PragmaVisitor(filename)
    wrapper.visit(pragmas)
    return IgnoredCode(
        no_mutate_lines=pragmas.no_mutate_lines,
        ignore_node_lines=pragmas.ignore_node_lines,
        ignore_pattern_lines=set(),
    )


def _named_operators(names: dict[int, str]) -> list[tuple[type, Callable[[Any], Iterable[cst.CSTNode]]]]:
    """mutmut's operators, each noting its name against the nodes it makes."""

    def named(operator: Callable[[Any], Iterable[cst.CSTNode]]) -> Callable[[Any], Iterable[cst.CSTNode]]:
        label = operator.__name__.removeprefix("operator_")

        def run(node: Any) -> Iterator[cst.CSTNode]:
            for made in operator(node):
                names[id(made)] = label
                yield made

        return run

    return [(kind, named(operator)) for kind, operator in mutation_operators]


def sample_mutants(mutants: Sequence[Mutant], size: int | None, seed: int) -> list[Mutant]:
    """`size` of them drawn with `seed` (all when `size` is None), back in file order."""
    if size is None or size >= len(mutants):
        return list(mutants)
    drawn = random.Random(seed).sample(list(mutants), size)
    return sorted(drawn, key=lambda m: m.number)
