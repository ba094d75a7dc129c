"""Reading experiment files: YAML in, `Experiment` out, or one error naming file, field and choices.

`load_experiment("latency.yaml")` raises, for a misspelt kind:
`ExperimentError: latency.yaml: method.fault.kind: 'lag' is not one of latency, jitter, ...`
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .._exceptions import ExperimentError
from ..sut import SystemDeclaration, load_declaration
from ._kinds import FAULT_KINDS, fields_of
from ._schema import Experiment

__all__ = ["GENERIC_CATALOGUE", "check_against", "load_catalogue", "load_experiment"]

#: Experiments for any system, used when it declares none of its own: network faults in front of
#: its LLM, LLM faults from the mock server, a handoff fault (for a system with a handoff hook);
#: each hypothesis asks only what any system owes its users (few errors, none unclear, none
#: lost, a recovery), no latency limit of anyone's in particular.
GENERIC_CATALOGUE = Path(__file__).resolve().with_name("catalogue")


def load_experiment(path: str | Path) -> Experiment:
    """Parse one file; its name (without `.yaml`) is the experiment's name."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExperimentError(f"{path}: cannot read it: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ExperimentError(f"{path.name}: not valid YAML{line}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ExperimentError(f"{path.name}: expected a mapping of fields (title, hypothesis, method...)")
    if "name" in data and data["name"] != path.stem:
        raise ExperimentError(f"{path.name}: name: {data['name']!r} must match the file name {path.stem!r}")
    try:
        return Experiment.model_validate({**data, "name": path.stem})
    except ValidationError as exc:
        raise ExperimentError(_describe(path.name, exc, data)) from None


def load_catalogue(folder: str | Path | None = None, names: Iterable[str] = ()) -> list[Experiment]:
    """Every `*.yaml` in `folder` (default: the declared `[tool.harness.system] experiments`, else
    the generic catalogue), sorted by name; with `names`, only those (an unknown name is an error
    listing the known ones)."""
    if folder is None:
        folder = load_declaration().experiments_path or GENERIC_CATALOGUE
    root = Path(folder)
    files = sorted(root.glob("*.yaml"))
    if not files:
        raise ExperimentError(f"{root}: no experiment files (*.yaml)")
    wanted = list(names)
    known = {f.stem: f for f in files}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ExperimentError(
            f"unknown experiment {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}"
        )
    return [load_experiment(known[n]) for n in wanted] if wanted else [load_experiment(f) for f in files]


def check_against(experiments: Iterable[Experiment], declaration: SystemDeclaration) -> dict[str, str]:
    """Every name an experiment uses must be the declared system's: its defences
    (`resilience_off`), its agents (`target.agent`, `target.source`); the first that is not is an
    ExperimentError, before anything starts. Returns the experiments whose fault cannot reach
    the system at all (a handoff fault, and no handoff hook), with why: not applicable, so never
    run and never held."""
    not_applicable: dict[str, str] = {}
    defences, agents = sorted(declaration.defences), declaration.vocabulary.agents
    for exp in experiments:
        where = f"{exp.name}.yaml"
        for name in exp.resilience_off:
            if name not in defences:
                known = ", ".join(defences) or "none declared"
                raise ExperimentError(
                    f"{where}: resilience_off: {name!r} is not a defence of {declaration.name} "
                    f"({known}); declare it in [tool.harness.system.defences] or drop it"
                )
        target = exp.method.target
        for name in [*(target.agent or []), *([target.source] if target.source else [])]:
            if agents and name not in agents and not any(ch in name for ch in "*?["):
                raise ExperimentError(
                    f"{where}: method.target: {name!r} is not an agent of {declaration.name} "
                    f"({', '.join(agents)}); fix it or [tool.harness.system.vocabulary] agents"
                )
        if exp.method.family == "handoff" and declaration.hooks.handoff is None:
            not_applicable[exp.name] = (
                f"not applicable: {declaration.name} has no handoff hook for a handoff fault to go "
                "through (declare [tool.harness.system.hooks] handoff: docs/handoff-hook.md)"
            )
    return not_applicable


def _describe(filename: str, exc: ValidationError, data: dict[str, Any]) -> str:
    lines = [f"{filename}: {_one(err, data)}" for err in exc.errors()]
    return "\n".join(lines)


def _one(err: ErrorDetails, data: dict[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        given = f"{ctx.get('tag')!r} is" if kind == "union_tag_invalid" else "missing;"
        return f"{'.'.join(loc)}.kind: {given} not one of {', '.join(FAULT_KINDS)}"
    # A discriminated union puts the tag in the path (method.fault.latency.rate): drop it.
    if loc[:2] == ["method", "fault"] and len(loc) > 2 and loc[2] in FAULT_KINDS:
        fault_kind = loc.pop(2)
        if kind == "extra_forbidden":
            allowed = ", ".join(fields_of(fault_kind)) or "no other field"
            return f"{'.'.join(loc)}: not a field of a {fault_kind!r} fault; allowed: {allowed}"
    where = ".".join(loc) or "(top level)"
    if kind == "extra_forbidden":
        return f"{where}: unknown field; allowed: {', '.join(_allowed_at(loc[:-1]))}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"{where}: {err['input']!r} is not one of {expected.replace(' or ', ', ')}"
    if kind == "missing":
        return f"{where}: missing (required)"
    message = err["msg"].removeprefix("Value error, ")
    if kind == "value_error" and loc:
        return f"{where}: {message}"
    return f"{where}: {message} (got {err['input']!r})" if "input" in err else f"{where}: {message}"


def _allowed_at(path: list[str]) -> list[str]:
    """The field names of the model at `path` inside an Experiment."""
    model: Any = Experiment
    for part in path:
        field = model.model_fields.get(part)
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and hasattr(annotation, "model_fields")):
            return []
        model = annotation
    return list(model.model_fields)
