"""The files one tier writes and another reads: each is its model's, both ways, and its committed
JSON Schema and prose are the model's too."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

from harness._files import FORMATS, SCHEMAS_DIR, TypedFile, formats, schema_file, stale_schemas
from harness.llm.cassette import Cassette, Chunk, Exchange, RecordedRequest, RecordedResponse
from harness.measure import (
    ChaosReport,
    ChaosRequests,
    ExperimentResult,
    PhaseStats,
    Reconciliation,
    SlaReport,
)
from harness.measure._chaos_report import Bite, ChaosSummary
from harness.measure._sla_report import Check, RunHeader, Window
from harness.mutate import MutantResult, MutationRecord, TierScore
from harness.report import GateSettings, Summary, build_summary
from harness.report._pyramid import PyramidRecord
from harness.stack import StackRecord
from harness.stack._faults_journal import FaultJournal, Undo, new_entry
from harness.traces import Sent, Span, TracesRecord, group_traces, summarise
from harness.trials import OverallTrials, TrialsRecord
from harness.trials._record import scenario_row, summarise_counts
from suites.fixtures.example_load import write_example_load
from suites.fixtures.example_reports import write_example_reports

pytestmark = pytest.mark.harness_self

HARNESS = Path(__file__).resolve().parents[3] / "harness"
DOCS = HARNESS.parent / "docs"
REGENERATE = "python -m harness._files"


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[type[TypedFile], TypedFile]:
    """One instance of every format: the example reports folder's files, as their writers wrote
    them, a summary built from that folder, a stack record and its fault journal."""
    folder = write_example_reports(tmp_path_factory.mktemp("reports"))
    gate = GateSettings.model_construct(**{k: f.default for k, f in GateSettings.model_fields.items()})
    stack = StackRecord(
        system="example", llm_url="http://127.0.0.1:1/v1", service_url=None,
        service_llm_url="http://127.0.0.1:2/v1", proxy_api_url=None, audit_log=None,
        pids={"mock LLM server": 123, "proxy": None}, owner_pid=1,
    )  # fmt: skip
    undo = Undo(method="DELETE", url="http://127.0.0.1:1/_control/faults")
    journal = FaultJournal(
        entries=[new_entry("mock_llm", "mock LLM rule status 500 (p=0.5)", [undo], owner="x")]
    )
    streamed = RecordedResponse(
        status=200, chunks=[Chunk(t_ms=250.0, data={"choices": []}), Chunk(t_ms=300.5, data="[DONE]")]
    )
    cassette = Cassette(
        upstream="http://127.0.0.1:3/v1",
        exchanges=[
            Exchange(
                request=RecordedRequest(body={"model": "m", "messages": []}),
                response=RecordedResponse(status=200, body={"id": "x"}, elapsed_ms=12.5),
                usage={"total_tokens": 3},
            ),
            Exchange(request=RecordedRequest(agent="billing", body={"stream": True}), response=streamed),
        ],
    )
    return {
        Cassette: cassette,
        StackRecord: stack,
        FaultJournal: journal,
        SlaReport: SlaReport.read(folder / "sla.json"),
        ChaosReport: ChaosReport.read(folder / "chaos.json"),
        PyramidRecord: PyramidRecord.read(folder / "pyramid.json"),
        Summary: build_summary(folder, gate),
        TrialsRecord: _trials_record(),
        MutationRecord: _mutation_record(),
        TracesRecord: _traces_record(),
    }


def _traces_record() -> TracesRecord:
    spans = [
        Span(trace_id="a" * 32, span_id="1" * 16, name="POST /ask", start_ns=0, end_ns=9_000_000),
        Span(
            trace_id="a" * 32, span_id="2" * 16, parent_span_id="1" * 16, name="invoke_agent billing",
            start_ns=1_000_000, end_ns=8_000_000, status="error", status_message="LLM 500",
            attributes={"gen_ai.agent.name": "billing"},
        ),
    ]  # fmt: skip
    sent = {"a" * 32: Sent(request_id="r-1", ok=False, latency_ms=9.5)}
    return TracesRecord(runs=[summarise(group_traces(spans), sent, source="load")])


def _trials_record() -> TrialsRecord:
    rows = [
        scenario_row("s1", "billing", [True, False, True, True], k=2, confidence=0.95,
                     failures=["route: expected 'billing', got 'technical'"], truth=0.9),
        scenario_row("s2", "technical", [True] * 4, k=2, confidence=0.95, cache_hits=1),
    ]  # fmt: skip
    at_1, at_k = summarise_counts(rows, 2, 0.95)
    overall = OverallTrials(scenarios=2, trials=8, passed=7, pass_at_1=at_1, pass_k=at_k)
    return TrialsRecord(
        system="example", brain="noisy", cache="bypassed", repeat=4, k=2, confidence=0.95,
        started_at="2026-01-01T00:00:00Z", wall_s=1.0, scenarios=rows, overall=overall,
    )  # fmt: skip


def _mutation_record() -> MutationRecord:
    mutant = MutantResult(
        id="pkg/m.py:3#1", file="pkg/m.py", line=3, operator="swap_op", original="a + b", mutated="a - b",
        status="killed", tier="unit", killed_by="tests/unit/test_m.py::test_add", seconds=1.5,
    )  # fmt: skip
    tier = TierScore(tier="unit", baseline_s=2.0, killed=1, cumulative=1, score=1.0)
    return MutationRecord(
        system="example", packages=["pkg"], tiers=[tier], generated=1, run=1, not_run=0, score=1.0,
        wall_s=3.0, mutants=[mutant],
    )  # fmt: skip


def test_the_committed_schemas_are_the_models() -> None:
    stale = stale_schemas(SCHEMAS_DIR, formats())
    assert stale == [], "; ".join(stale) + f": the models changed; regenerate with `{REGENERATE}`"


def test_every_typed_file_of_the_harness_is_listed() -> None:
    defined = set()
    for path in HARNESS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                getattr(b, "id", None) == "TypedFile" for b in node.bases
            ):
                module = ".".join(path.relative_to(HARNESS.parent).with_suffix("").parts)
                defined.add(f"{module}:{node.name}")
    assert defined == set(FORMATS), f"add each TypedFile to harness._files.FORMATS: {defined ^ set(FORMATS)}"


@pytest.mark.parametrize("cls", formats(), ids=lambda c: c.SCHEMA)
def test_a_file_written_reads_back_as_the_same_object(
    cls: type[TypedFile], examples: dict[type[TypedFile], TypedFile], tmp_path: Path
) -> None:
    original = examples[cls]
    path = original.write(tmp_path / "file.json")
    again = cls.read(path)
    assert again == original
    assert json.loads(path.read_text())["schema"] == cls.SCHEMA
    assert [p.name for p in tmp_path.iterdir()] == ["file.json"]  # no temporary file left behind


def test_the_load_tiers_report_reads_back_as_the_object_it_wrote(tmp_path: Path) -> None:
    analysis = write_example_load(tmp_path, np.random.default_rng(0), samples=50)
    assert SlaReport.read(analysis.path) == analysis.report
    assert SlaReport.read(tmp_path / "sla.json") == analysis.report  # the latest run's copy


@pytest.mark.parametrize("cls", formats(), ids=lambda c: c.SCHEMA)
@pytest.mark.parametrize(
    ("text", "says"),
    [
        (None, "cannot read it"),
        ("not json {", "file (file: Invalid JSON"),
        ("[1, 2]", "file (file: Input should be an object"),
        ('{"schema": "harness.other/1"}', "schema is 'harness.other/1', not {schema}"),
        ('{"schema": "{family}/99"}', "schema is '{family}/99', not {schema}"),
    ],
    ids=["missing", "garbage", "not-an-object", "another-format", "another-version"],
)
def test_a_file_that_is_not_one_is_one_line_of_the_tiers_error(
    cls: type[TypedFile], text: str | None, says: str, tmp_path: Path
) -> None:
    path = tmp_path / "file.json"
    if text is not None:
        path.write_text(text.replace("{family}", cls.SCHEMA.split("/")[0]))
    with pytest.raises(cls.ERROR) as info:
        cls.read(path)
    message = str(info.value)
    assert type(info.value) is cls.ERROR
    assert "\n" not in message and message.startswith(f"{path}: ") and message.endswith(cls.FIX)
    assert says.format(schema=cls.SCHEMA, family=cls.SCHEMA.split("/")[0]) in message


def test_a_reconciliation_that_does_not_add_up_is_refused(
    examples: dict[type[TypedFile], TypedFile], tmp_path: Path
) -> None:
    doc = examples[SlaReport].model_dump(mode="json", by_alias=True)
    doc["requests"]["lost"] += 1
    path = tmp_path / "sla.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(SlaReport.ERROR, match=r"requests: Value error, lost is 1, but its parts add up to 0"):
        SlaReport.read(path)


def test_a_newer_summary_with_fields_this_gate_does_not_know_still_loads(
    examples: dict[type[TypedFile], TypedFile],
) -> None:
    doc = examples[Summary].model_dump(mode="json", by_alias=True)
    doc["added_later"] = {"by": "a newer harness"}
    doc["pyramid"]["added_later"] = 1
    assert Summary.parse(json.dumps(doc)) == examples[Summary]


def _names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


# Each prose document names (in backticks) every field of the sections it describes field by field.
PROSE: dict[str, tuple[type[TypedFile], tuple[type[BaseModel], ...]]] = {
    "sla-schema.md": (SlaReport, (RunHeader, Check, Reconciliation, Window)),
    "chaos-schema.md": (ChaosReport, (ChaosSummary, Bite, ExperimentResult, PhaseStats, ChaosRequests)),
    "summary-schema.md": (Summary, ()),
}


@pytest.mark.parametrize("doc", sorted(PROSE))
def test_the_prose_names_every_field_and_points_at_the_schema(doc: str) -> None:
    text = (DOCS / doc).read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z_0-9]+)`", text))
    top, sections = PROSE[doc]
    missing = {m.__name__: [n for n in _names(m) if n not in named] for m in (top, *sections)}
    assert {k: v for k, v in missing.items() if v} == {}, f"docs/{doc} does not name these fields"
    assert f"schemas/{schema_file(top)}" in text, f"docs/{doc} does not point at its generated schema"
