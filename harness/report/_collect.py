"""Read a reports folder into a `Summary`: the pyramid, coverage, the load run, chaos, MAST tags and
the gate's verdict. A missing or unreadable input is a note and an empty section, never a crash:
the report must still say what is missing, and the gate then fails for want of evidence.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from .._exceptions import HarnessError
from ..measure import ChaosReport
from ..sut import load_declaration
from ..traces import TracesRecord, TracesRun
from ._chaos import find_chaos, read_chaos
from ._coverage import read_coverage, read_graph
from ._gate import GateSettings, evaluate, verdict
from ._mast import Observation, tag, tag_chaos, tag_sla, tag_tests, tag_traces
from ._pyramid import read_pyramid
from ._scrub import scrub_obj
from ._sla import find_sla, read_sla, relative_to
from ._summary import (
    ChaosSection,
    MutationSection,
    MutationSurvivor,
    MutationTier,
    SlaSection,
    Summary,
    SystemSection,
    TrialsRate,
    TrialsScenario,
    TrialsSection,
)

__all__ = ["build_summary", "read_samples", "scenario_labels", "write_summary"]


def read_samples(sla: SlaSection, reports: Path) -> list[dict[str, str]]:
    """The raw client-side samples of the load run (samples.csv), or [] when not kept."""
    name = sla.files.get("samples")
    if not name:
        return []
    path = Path(name) if Path(name).is_absolute() else reports / name
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except OSError:
        return []


def scenario_labels(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The declared scenarios by id, as plain JSON ({} when the system declares none)."""
    path = path or load_declaration().scenarios_path
    if path is None or not path.exists():
        return {}
    labels = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = json.loads(line)
            labels[doc["id"]] = doc
    return labels


def _against_labels(rows: list[dict[str, str]]) -> tuple[dict[str, int], dict[str, int]]:
    """Counts of answers off their scenario's label, and of escalation reasons."""
    labels = scenario_labels()
    counts = {"wrong_route": 0, "missed_escalation": 0, "no_response": 0}
    reasons: dict[str, int] = {}
    for row in rows:
        if row.get("status") == "0":
            counts["no_response"] += 1
        if row.get("escalation_reason"):
            reasons[row["escalation_reason"]] = reasons.get(row["escalation_reason"], 0) + 1
        label = labels.get(row.get("scenario", ""))
        if row.get("kind") != "answered" or label is None or label.get("category") != row.get("category"):
            continue  # a custom scenario file: its labels are not ours to judge by
        expected, escalated = label["expected"], row.get("escalated") == "True"
        if expected["escalated"] and not escalated:
            counts["missed_escalation"] += 1
        elif not expected["escalated"] and not escalated and row.get("route") != expected["route"]:
            counts["wrong_route"] += 1
    return counts, reasons


def _sla(reports: Path, path: Path | None, notes: list[str]) -> SlaSection | None:
    path = path or find_sla(reports)
    if path is None:
        notes.append("no sla.json (reports/sla.json or the system tier's healthy run): no load run")
        return None
    try:
        return read_sla(path, reports)
    except HarnessError as exc:  # the model's one line: the file, what is wrong, the fix
        notes.append(f"not a usable sla.json: {exc}")
        return None


def _chaos(reports: Path, paths: list[Path] | None, notes: list[str]) -> ChaosSection | None:
    paths = paths or find_chaos(reports)
    if not paths:
        notes.append("no chaos.json (reports/chaos.json or reports/chaos-tests/chaos-*.json): no chaos run")
        return None
    try:
        return read_chaos(paths, [relative_to(p, reports) for p in paths])
    except HarnessError as exc:
        notes.append(f"chaos report unusable: {exc}")
        return None


_R = TypeVar("_R")


def _optional(path: Path, read: Callable[[Path], _R], what: str, notes: list[str]) -> _R | None:
    """A record not every run writes: None when absent; None and a note when unreadable."""
    if not path.exists():
        return None
    try:
        return read(path)
    except HarnessError as exc:
        notes.append(f"{what} report unusable: {exc}")
        return None


def _rate(i: Any) -> TrialsRate:
    return TrialsRate(value=i.value, low=i.low, high=i.high)


def _trials(reports: Path, notes: list[str]) -> TrialsSection | None:
    """reports/trials.json (`harness trials`), when there is one: not every run repeats."""
    from ..trials import TrialsRecord

    path = reports / "trials.json"
    record = _optional(path, TrialsRecord.read, "trials", notes)
    if record is None:
        return None
    rows = [
        TrialsScenario(
            id=x.id,
            category=x.category,
            n=x.n,
            passed=x.passed,
            cache_hits=x.cache_hits,
            truth=x.truth,
            pass_at_1=_rate(x.pass_at_1),
            pass_k=_rate(x.pass_k) if x.pass_k else None,
            failure=x.failures[0] if x.failures else None,
        )
        for x in record.scenarios
    ]
    o = record.overall
    return TrialsSection(
        source=relative_to(path, reports),
        system=record.system,
        brain=record.brain,
        cache=record.cache,
        k=record.k,
        confidence=record.confidence,
        trials=o.trials,
        passed=o.passed,
        pass_at_1=_rate(o.pass_at_1),
        pass_k=_rate(o.pass_k) if o.pass_k else None,
        scenarios=rows,
    )


def _traces(reports: Path, notes: list[str]) -> list[TracesRun]:
    """A traced system's runs: reports/traces.json (load), and each chaos experiment's."""
    record = _optional(reports / "traces.json", TracesRecord.read, "traces", notes)
    runs: list[TracesRun] = list(record.runs) if record is not None else []
    for path in find_chaos(reports):
        chaos = _optional(path, ChaosReport.read, "chaos", [])  # unreadable: read_chaos says so
        for e in chaos.experiments if chaos is not None else []:
            runs += [e.traces] if e.traces is not None and e.traces.requests else []
    return runs


def _mutation(reports: Path, notes: list[str]) -> MutationSection | None:
    """reports/mutation.json (`harness mutate`), when there is one: it is not a tier of every run."""
    from ..mutate._record import MutationRecord  # only a report with a mutation run pays for it

    path = reports / "mutation.json"
    record = _optional(path, MutationRecord.read, "mutation", notes)
    if record is None:
        return None
    survivors = [
        MutationSurvivor(where=m.where, operator=m.operator, original=m.original, mutated=m.mutated)
        for m in record.survivors
    ]
    return MutationSection(
        source=relative_to(path, reports),
        packages=record.packages,
        score=record.score,
        run=record.run,
        not_run=record.not_run,
        generated=record.generated,
        wall_s=record.wall_s,
        stopped=record.stopped,
        tiers=[MutationTier(tier=t.tier, killed=t.killed, score=t.score) for t in record.tiers],
        survivors_total=len(survivors),
        survivors=survivors[:60],
    )


def _system() -> SystemSection:
    decl = load_declaration()
    return SystemSection(
        name=decl.name,
        declared_in=str(decl.source) if decl.source else None,
        python=decl.python,
        url=decl.url,
        served=decl.serve is not None,
        coverage=list(decl.coverage),
    )


def build_summary(
    reports: Path,
    settings: GateSettings,
    *,
    sla: Path | None = None,
    chaos: list[Path] | None = None,
) -> Summary:
    """Everything under `reports`, judged by `settings`, with every string scrubbed of PII and
    secrets (test messages and violations quote what others wrote)."""
    notes: list[str] = []
    pyramid = read_pyramid(reports, notes)
    section_sla = _sla(reports, sla, notes)
    section_chaos = _chaos(reports, chaos, notes)
    observations: list[Observation] = tag_tests(pyramid.failed_tests)
    if section_sla is not None:
        labelled, reasons = _against_labels(read_samples(section_sla, reports))
        contained = load_declaration().vocabulary.contained_reasons
        observations += tag_sla(section_sla, labelled, reasons, contained)
    if section_chaos is not None:
        observations += tag_chaos(section_chaos)
    traces = _traces(reports, notes)
    observations += tag_traces(traces)
    summary = Summary(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        system=_system(),
        verdict="NO-GO",
        gates=[],
        pyramid=pyramid,
        coverage=read_coverage(reports, notes),
        graph=read_graph(reports, notes),
        sla=section_sla,
        chaos=section_chaos,
        trials=_trials(reports, notes),
        mutation=_mutation(reports, notes),
        traces=traces,
        mast=tag(observations),
        notes=notes,
    )
    summary.gates = evaluate(summary, settings)
    summary.verdict = verdict(summary.gates)
    clean = scrub_obj(summary.model_dump(by_alias=True))
    return Summary.model_validate(clean)


def write_summary(summary: Summary, reports: Path) -> Path:
    """`<reports>/summary.json`, atomically: a reader never sees half a summary."""
    return summary.write(reports / "summary.json")
