"""A copy of the declared packages in a temporary folder, first on PYTHONPATH, to mutate.

The work tree is never written: a mutant is written into the copy, the tiers run, and the copy's
file is put back. Each parallel worker has its own copy. No bytecode is written in it
(`PYTHONDONTWRITEBYTECODE`): a mutant and the original written within one second have the same
mtime and size, and Python would run a stale .pyc.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ._generate import Mutant, PackageSource
from ._pytest_plugin import COPIES_ENV, HYPOTHESIS_ENV

__all__ = ["Workspace"]

_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache", ".hypothesis")
# An outer pytest's variables (xdist's worker id, addopts) or coverage's subprocess hooks would
# reshape, or slow, every run of the tiers.
_DROPPED = ("PYTEST_", "COV_CORE_", "COVERAGE_PROCESS_START")


class Workspace:
    def __init__(self, folder: Path, packages: Sequence[PackageSource]) -> None:
        self.folder = folder
        self.packages = list(packages)
        for package in self.packages:
            target = folder / package.path.name
            if package.path.is_dir():
                shutil.copytree(package.path, target, ignore=_IGNORE)
            else:
                shutil.copy2(package.path, target)

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of a test run against this copy."""
        env = {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith(_DROPPED)}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.folder), env.get("PYTHONPATH", "")) if p)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env[COPIES_ENV] = json.dumps({p.name: str(self.folder) for p in self.packages})
        env[HYPOTHESIS_ENV] = str(self.folder / ".hypothesis")
        return env

    @contextmanager
    def applied(self, mutant: Mutant) -> Iterator[Path]:
        """The copy with `mutant` in it, put back however the block ends."""
        target = self.folder / mutant.file
        original = target.read_text(encoding="utf-8")
        target.write_text(mutant.render(), encoding="utf-8")
        try:
            yield target
        finally:
            target.write_text(original, encoding="utf-8")
            # Each mutant on its own: an example Hypothesis saved under one would fail the next.
            shutil.rmtree(self.folder / ".hypothesis", ignore_errors=True)
