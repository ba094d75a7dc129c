"""The experiment format and the pure parts of a run: file errors that name the file, the field
and what is allowed; the catalogue's coverage; measurements; how faults become API calls."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from harness._exceptions import ChaosError, ExperimentError
from harness.chaos import (
    FAULT_KINDS,
    Targets,
    check_against,
    load_catalogue,
    load_experiment,
    not_applicable,
)
from harness.chaos._cli import add_arguments, run
from harness.chaos._faults import LLMInjector, NetworkInjector
from harness.chaos._measure import phase_stats, recovery_s
from harness.chaos._schema import Hypothesis
from harness.measure import Sample, frame, percentile, reconcile
from harness.sut import Hooks, SystemDeclaration, Vocabulary

pytestmark = [pytest.mark.chaos, pytest.mark.harness_self]

GOOD = """\
title: Late replies
hypothesis: {error_rate: 0.02, p95_ms: 2000}
method:
  fault: {kind: latency, latency_ms: 100}
  duration_s: 5
resilience_off: [timeouts]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


# --- the catalogue ----------------------------------------------------------------------


def test_the_catalogue_covers_every_required_fault() -> None:
    catalogue = load_catalogue()
    kinds = {e.method.fault.kind for e in catalogue}
    statuses = {getattr(e.method.fault, "status", None) for e in catalogue}
    assert len(catalogue) >= 15
    network = {"latency", "jitter", "bandwidth", "timeout", "reset_peer", "down", "slow_close", "limit_data"}
    llm = {"status", "hang", "malformed", "truncated", "invalid_route", "schema_violation"}
    assert network | llm | {"drop", "delay", "duplicate", "corrupt"} <= kinds
    assert {429, 500, 503} <= statuses
    assert len({e.name for e in catalogue}) == len(catalogue)


def test_every_experiment_names_the_switches_that_make_it_bite() -> None:
    from harness.sut import load_declaration

    catalogue = load_catalogue()
    check_against(catalogue, load_declaration())  # every name in it is the reference system's
    for exp in catalogue:
        assert exp.resilience_off, exp.name
        assert exp.hypothesis.lost == 0, f"{exp.name}: no request may be lost"
        assert exp.all_rollbacks(), exp.name


# --- bad files --------------------------------------------------------------------------

BAD = [
    (
        "kind",
        GOOD.replace("kind: latency", "kind: lag"),
        "kind.yaml: method.fault.kind: 'lag' is not one of latency, jitter, bandwidth,",
    ),
    (
        "param",
        GOOD.replace("latency_ms: 100", "latency_ms: 100, rate: 3"),
        "param.yaml: method.fault.rate: not a field of a 'latency' fault; "
        "allowed: latency_ms, jitter_ms, stream",
    ),
    (
        "target",
        GOOD.replace("  duration_s: 5", "  target: {agent: supervisor}\n  duration_s: 5"),
        "target.yaml: method: target.agent does not apply to a 'latency' fault (network faults take proxy)",
    ),
    (
        "intensity",
        GOOD.replace("  duration_s: 5", "  intensity: 1.5\n  duration_s: 5"),
        "intensity.yaml: method.intensity: Input should be less than or equal to 1 (got 1.5)",
    ),
    (
        "field",
        GOOD.replace("hypothesis:", "hypotesis:"),
        "field.yaml: hypothesis: missing (required)\nfield.yaml: hypotesis: unknown field; allowed: name,",
    ),
    (
        "probe",
        GOOD.replace("error_rate: 0.02, p95_ms: 2000", "p99_ms: 2000"),
        "probe.yaml: hypothesis.p99_ms: unknown field; allowed: error_rate, p95_ms, misrouted_rate,",
    ),
    (
        "down",
        GOOD.replace("kind: latency, latency_ms: 100", "kind: down").replace(
            "  duration_s", "  intensity: 0.5\n  duration_s"
        ),
        "down.yaml: method: intensity: a 'down' fault is all or nothing, so it must be 1",
    ),
    ("yaml", GOOD + "  - [unclosed\n", "yaml.yaml: not valid YAML (line 7)"),
    ("named", "name: other\n" + GOOD, "named.yaml: name: 'other' must match the file name 'named'"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_file_names_the_file_the_field_and_what_is_allowed(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(ExperimentError) as caught:
        load_experiment(write(tmp_path, name, text))
    assert str(caught.value).startswith(message), str(caught.value)


def test_the_fault_kind_error_lists_every_kind(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError) as caught:
        load_experiment(write(tmp_path, "kind", GOOD.replace("kind: latency", "kind: lag")))
    assert str(caught.value).endswith(", ".join(FAULT_KINDS))


def test_the_cli_refuses_a_bad_catalogue_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "latency", GOOD.replace("kind: latency", "kind: lag"))
    args = add_arguments(argparse.ArgumentParser()).parse_args(["--catalogue", str(tmp_path)])
    assert run(args) == 2
    assert "harness chaos: latency.yaml: method.fault.kind: 'lag' is not one of" in capsys.readouterr().err


SYSTEM = SystemDeclaration.model_construct(
    name="a team's system",
    defences={"timeouts": {"X_TIMEOUTS": "off"}},
    vocabulary=Vocabulary(agents=["triage", "billing"]),
    hooks=Hooks(handoff="/hooks/handoff"),
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t.replace("[timeouts]", "[timeout]"),
            "x.yaml: resilience_off: 'timeout' is not a defence of a team's system (timeouts); declare it",
        ),
        (
            lambda t: t.replace("kind: latency, latency_ms: 100", "kind: drop").replace(
                "  duration_s", "  target: {source: router}\n  duration_s"
            ),
            "x.yaml: method.target: 'router' is not an agent of a team's system (triage, billing)",
        ),
    ],
)
def test_names_are_checked_against_the_declared_system(tmp_path: Path, change: object, message: str) -> None:
    exp = load_experiment(write(tmp_path, "x", change(GOOD)))  # type: ignore[operator]
    with pytest.raises(ExperimentError) as caught:
        check_against([exp], SYSTEM)
    assert str(caught.value).startswith(message), str(caught.value)
    check_against([load_experiment(write(tmp_path, "y", GOOD))], SYSTEM)  # a good one passes


def test_a_handoff_fault_needs_the_systems_hook(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, "x", GOOD.replace("kind: latency, latency_ms: 100", "kind: drop")))
    no_hook = SYSTEM.model_copy(update={"hooks": Hooks()})
    # Not an error (a catalogue may hold it for other systems): not applicable, and why.
    assert check_against([exp], SYSTEM) == {}
    skipped = check_against([exp], no_hook)
    assert (
        list(skipped) == ["x"]
        and "no handoff hook" in skipped["x"]
        and "docs/handoff-hook.md" in skipped["x"]
    )
    result = not_applicable(exp, skipped["x"])
    assert result.verdict == "not_applicable" and not result.held and result.violations == [skipped["x"]]


def test_an_unknown_experiment_name_lists_the_known_ones(tmp_path: Path) -> None:
    write(tmp_path, "late", GOOD)
    with pytest.raises(ExperimentError, match=r"unknown experiment 'early'; known: late"):
        load_catalogue(tmp_path, ["early"])


# --- measurements -----------------------------------------------------------------------


def sample(
    seq: int, sent_at: float, kind: str = "answered", ms: float | None = 100.0, **kw: object
) -> Sample:
    status = {"answered": 200, "retriable": 503, "no_response": 0}.get(kind)
    return Sample(f"hr-test-chaos-{seq}", start=sent_at, kind=kind, ms=ms, status=status, **kw)  # type: ignore[arg-type]


def test_percentiles_are_exact_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 1.0)) == (50.0, 95.0, 100.0)
    assert percentile([], 0.95) is None


def test_phase_stats_count_errors_degraded_answers_and_unclear_failures() -> None:
    samples = [
        sample(0, 0.0),
        sample(1, 0.1, degraded=True, fallback="generic"),
        sample(2, 0.2, kind="retriable", ms=3000.0),
        sample(3, 0.3, kind="no_response", ms=10000.0),
    ]
    s = phase_stats(samples)
    assert (s.sent, s.answered, s.retriable, s.unclear, s.degraded) == (4, 2, 1, 1, 1)
    assert s.error_rate == 0.5 and s.fallbacks == {"generic": 1}
    assert s.p95_ms == 10000.0  # a slow failure counts: the customer waited for it


def test_recovery_is_the_first_of_three_healthy_answers_after_the_rollback() -> None:
    h = Hypothesis(p95_ms=1000)
    after = [sample(0, 10.0, degraded=True), sample(1, 10.5, ms=5000.0)]
    after += [sample(i, 10.5 + i * 0.1) for i in range(2, 5)]
    assert recovery_s(after, rollback_at=10.0, h=h) == pytest.approx(0.7)
    assert recovery_s(after[:3], rollback_at=10.0, h=h) is None


def test_reconciliation_is_the_load_tiers_own() -> None:
    import pandas as pd

    samples = [sample(0, 0.0), sample(1, 0.1), sample(2, 0.2, kind="no_response"), sample(3, 0.3, kind=None)]
    audit = pd.DataFrame({"request_id": ["hr-test-chaos-0", "hr-test-chaos-2"], "status": [200, 200]})
    rec = reconcile(frame(samples), audit)
    # 1 is answered but missing from the audit log, 3 has no outcome: lost; 2 timed out (unclear),
    # though the system answered it after the client gave up.
    assert (rec.lost, rec.missing_in_audit, rec.no_outcome) == (2, 1, 1)
    assert (rec.unclear, rec.late_in_audit) == (1, 1)
    assert reconcile(frame(samples[:1]), audit.iloc[:1]).lost == 0


# --- faults as API calls ----------------------------------------------------------------

TARGETS = Targets("http://127.0.0.1:1", "http://127.0.0.1:2/v1", "http://127.0.0.1:3")


def test_a_slow_close_is_preceded_by_the_cut_it_delays(tmp_path: Path) -> None:
    fault = "kind: slow_close, delay_ms: 3000, cut_after_bytes: 120, stream: both"
    text = GOOD.replace("kind: latency, latency_ms: 100", fault)
    exp = load_experiment(write(tmp_path, "close", text))
    toxics = NetworkInjector(exp.method, TARGETS)._toxics()
    assert [(t["type"], t["stream"]) for t in toxics] == [
        ("limit_data", "upstream"),
        ("slow_close", "upstream"),
        ("limit_data", "downstream"),
        ("slow_close", "downstream"),
    ]
    assert toxics[1]["attributes"] == {"delay": 3000} and toxics[0]["attributes"] == {"bytes": 120}


def test_an_llm_fault_becomes_a_mock_server_rule() -> None:
    exp = load_catalogue(names=["llm-503-technical"])[0]  # the declared (reference) catalogue
    rule = LLMInjector(exp.method, TARGETS)._rule()
    assert rule == {
        "kind": "status",
        "probability": 1.0,
        "status": 503,
        "retry_after": 1.0,
        "target": {"agent": ["technical_support"]},
    }


def test_targets_other_than_localhost_are_refused() -> None:
    with pytest.raises(ChaosError, match=r"chaos runs only target 127\.0\.0\.1"):
        Targets("http://10.0.0.5:8000", "http://127.0.0.1:2/v1", "http://127.0.0.1:3")
