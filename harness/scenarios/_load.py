"""Read labelled scenarios from JSON Lines: one `Scenario` object per line, blank lines skipped.

Every problem raises `ScenarioError` with one line naming the file, the line number and the
field, e.g. `scenarios.jsonl:17: expected.route: 'bilingual' is not one of technical_support,
billing_support, general_support, escalate_to_human`.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .._exceptions import ScenarioError
from ..reference._state import EscalationReason
from ._schema import CATEGORIES, LANGUAGES, ROUTE_NAMES, TIERS, Expected, Scenario

__all__ = ["DEFAULT_FILE", "load_scenarios", "parse_scenarios"]

#: The packaged data set, under `harness/scenarios/data/`.
DEFAULT_FILE = "customer_queries.jsonl"

_ALLOWED: dict[str, tuple[str, ...]] = {
    "language": LANGUAGES,
    "customer_tier": TIERS,
    "category": CATEGORIES,
    "expected.route": ROUTE_NAMES,
    "expected.reason": tuple(reason.value for reason in EscalationReason),
}
_MODELS: dict[str, type[BaseModel]] = {"": Scenario, "expected": Expected}


def load_scenarios(path: str | Path | None = None) -> list[Scenario]:
    """The scenarios in `path` (JSON Lines), or the packaged `customer_queries.jsonl`."""
    if path is None:
        source = resources.files(__package__).joinpath("data", DEFAULT_FILE)
        return parse_scenarios(source.read_text(encoding="utf-8"), name=DEFAULT_FILE)
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{name}: cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    return parse_scenarios(text, name=name)


def parse_scenarios(text: str, *, name: str = "<scenarios>") -> list[Scenario]:
    """Parse JSON Lines text; `name` is what error messages call the file."""
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
        if scenario.id in first_seen:
            raise ScenarioError(
                f"{where}: id: duplicate {scenario.id!r} (first used on line {first_seen[scenario.id]})"
            )
        first_seen[scenario.id] = lineno
        scenarios.append(scenario)
    if not scenarios:
        raise ScenarioError(f"{name}: no scenarios (expected one JSON object per line)")
    return scenarios


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    parts = [str(p) for p in err["loc"]]
    field = ".".join(parts) or "scenario"
    given: Any = err.get("input")
    kind = err["type"]
    if kind == "missing":
        return f"{field}: missing; this field is required"
    if kind == "extra_forbidden":
        model = _MODELS.get(".".join(parts[:-1]))
        known = ", ".join(model.model_fields) if model else "none"
        return f"{field}: unknown field; known fields: {known}"
    if kind in ("literal_error", "enum") and field in _ALLOWED:
        return f"{field}: {given!r} is not one of {', '.join(_ALLOWED[field])}"
    return f"{field}: {err['msg'].removeprefix('Value error, ')}"
