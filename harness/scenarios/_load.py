"""Read labelled scenarios from JSON Lines: one `Scenario` object per line, blank lines skipped.

Every problem raises `ScenarioError` with one line naming the file, the line number and the
field, e.g. `scenarios.jsonl:17: expected.route: 'bilingual' is not one of technical_support,
billing_support, general_support, escalate_to_human` (the declared vocabulary's routes).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .._exceptions import ScenarioError
from ..sut import Vocabulary, load_declaration
from ._schema import Expected, Scenario

__all__ = ["load_scenarios", "parse_scenarios"]

_MODELS: dict[str, type[BaseModel]] = {"": Scenario, "expected": Expected}


def load_scenarios(path: str | Path | None = None, vocabulary: Vocabulary | None = None) -> list[Scenario]:
    """The scenarios in `path` (JSON Lines), labels checked against `vocabulary`; by default the
    declared ones (`[tool.harness.system] scenarios`, `vocabulary`)."""
    if path is None or vocabulary is None:
        declaration = load_declaration()
        vocabulary = vocabulary or declaration.vocabulary
        path = path or declaration.scenarios_path
        if path is None:
            raise ScenarioError(
                "no scenarios file: set [tool.harness.system] scenarios = 'path/to/scenarios.jsonl'"
            )
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{name}: cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    return parse_scenarios(text, name=name, vocabulary=vocabulary)


def parse_scenarios(
    text: str, *, name: str = "<scenarios>", vocabulary: Vocabulary | None = None
) -> list[Scenario]:
    """Parse JSON Lines text; `name` is what error messages call the file; labels outside a
    non-empty list of `vocabulary` are errors."""
    allowed = _allowed(vocabulary or Vocabulary())
    scenarios: list[Scenario] = []
    first_seen: dict[str, int] = {}
    # split("\n"), not splitlines(): U+2028 and friends may sit inside a JSON string.
    for lineno, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            raw = json.loads(line)
        except ValueError as exc:
            detail = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise ScenarioError(f"{where}: invalid JSON: {detail}") from None
        try:
            scenario = Scenario.model_validate(raw)
        except ValidationError as exc:
            raise ScenarioError(f"{where}: {_describe(exc)}") from None
        problem = _off_vocabulary(scenario, allowed)
        if problem:
            raise ScenarioError(f"{where}: {problem}; fix the label or [tool.harness.system.vocabulary]")
        if scenario.id in first_seen:
            raise ScenarioError(
                f"{where}: id: duplicate {scenario.id!r} (first used on line {first_seen[scenario.id]})"
            )
        first_seen[scenario.id] = lineno
        scenarios.append(scenario)
    if not scenarios:
        raise ScenarioError(f"{name}: no scenarios (expected one JSON object per line)")
    return scenarios


def _allowed(vocabulary: Vocabulary) -> dict[str, tuple[str, ...]]:
    return {
        "category": tuple(vocabulary.categories),
        "expected.route": tuple(vocabulary.routes),
        "expected.reason": tuple(vocabulary.escalation_reasons),
    }


def _off_vocabulary(scenario: Scenario, allowed: dict[str, tuple[str, ...]]) -> str | None:
    given = {
        "category": scenario.category,
        "expected.route": scenario.expected.route,
        "expected.reason": scenario.expected.reason,
    }
    for field, value in given.items():
        names = allowed[field]
        if value is not None and names and value not in names:
            return f"{field}: {value!r} is not one of {', '.join(names)}"
    return None


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    parts = [str(p) for p in err["loc"]]
    field = ".".join(parts) or "scenario"
    kind = err["type"]
    if kind == "missing":
        return f"{field}: missing; this field is required"
    if kind == "extra_forbidden":
        model = _MODELS.get(".".join(parts[:-1]))
        known = ", ".join(model.model_fields) if model else "none"
        return f"{field}: unknown field; known fields: {known}"
    return f"{field}: {err['msg'].removeprefix('Value error, ')}"
