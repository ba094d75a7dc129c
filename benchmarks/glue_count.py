"""Count the glue a team writes to put its system through the harness; fail above a limit.

Glue is what exists only to plug the system in: the `[tool.harness.*]` tables of its
pyproject.toml, every `conftest.py` of the project (fixtures that adapt the system to the
harness), and any other file named with `--also`. Not glue: the system's own code and API, and
its tests (those a team writes anyway). Lines count when they are not blank and not comments.

    python benchmarks/glue_count.py examples/handoff_desk            # exit 1 above 30 lines
    python benchmarks/glue_count.py path/to/project --limit 30 --also shim.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_LIMIT = 30


def declaration_lines(pyproject: Path) -> list[str]:
    """The non-blank, non-comment lines of the `[tool.harness]` tables (headers included)."""
    lines, inside = [], False
    for raw in pyproject.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("["):
            inside = line.split("]", 1)[0].strip("[ ").startswith("tool.harness")
        if inside and line and not line.startswith("#"):
            lines.append(line)
    return lines


def python_lines(path: Path) -> list[str]:
    """Non-blank lines that are not comments and not docstring-only lines of a Python file."""
    out, in_doc = [], False
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        quotes = line.count('"""') + line.count("'''")
        if in_doc:
            in_doc = quotes % 2 == 0
            continue
        if line.startswith(('"""', "'''")):
            in_doc = quotes == 1  # a docstring that goes on past this line
            continue
        if line and not line.startswith("#"):
            out.append(line)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, help="the team's project folder (holds pyproject.toml)")
    parser.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, help=f"most lines allowed ({DEFAULT_LIMIT})"
    )
    parser.add_argument("--also", type=Path, action="append", default=[], help="another glue file")
    args = parser.parse_args(argv)
    pyproject = args.project / "pyproject.toml"
    if not pyproject.is_file():
        print(f"glue_count: {pyproject}: no such file; give the project folder", file=sys.stderr)
        return 2
    parts = {str(pyproject.relative_to(args.project)) + " [tool.harness.*]": declaration_lines(pyproject)}
    for path in sorted(args.project.rglob("conftest.py")) + args.also:
        if "reports" not in path.parts:
            parts[str(path.relative_to(args.project) if path.is_relative_to(args.project) else path)] = (
                python_lines(path)
            )
    total = sum(len(lines) for lines in parts.values())
    for name, lines in parts.items():
        print(f"{len(lines):>4}  {name}")
    verdict = "ok" if total <= args.limit else "TOO MUCH"
    print(f"{total:>4}  lines of glue in all (limit {args.limit}): {verdict}")
    return 0 if total <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
