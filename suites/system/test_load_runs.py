"""Short load runs that prove the SLA evaluation right: a healthy configuration passes, and each
broken one is caught by exactly the threshold it breaks, no more (see profiles.toml here)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.measure import SlaReport

pytestmark = [pytest.mark.system, pytest.mark.slow]
# The healthy run judges the system; the others prove that each verdict can say no (the harness).
_HARNESS = pytest.mark.harness_self

Doc = SlaReport


def _folder(doc: Doc) -> Path:
    return Path(doc.run.folder)


def _accounted(doc: Doc) -> None:
    req = doc.requests
    assert req.lost == 0, req.examples
    assert req.audit_checked is True
    assert req.sent == req.answered + req.failed + req.no_outcome
    for status, counts in req.by_status.items():
        if status != "0":  # a client timeout may or may not have reached the service
            assert counts.client == counts.server, (status, counts)


def test_healthy_run_breaches_nothing(load_runs: dict[str, Doc]) -> None:
    doc = load_runs["healthy"]
    assert doc.failures == [] and doc.verdict == "pass", doc.checks
    _accounted(doc)
    assert doc.requests.sent >= 150  # enough for the escalation band to mean something
    assert doc.requests.failed == 0


@_HARNESS
def test_healthy_run_merges_both_locust_workers(load_runs: dict[str, Doc]) -> None:
    doc = load_runs["healthy"]
    samples = pd.read_csv(_folder(doc) / "samples.csv")
    assert doc.run.workers == 2
    per_worker = samples["worker"].value_counts()
    assert len(per_worker) == 2 and per_worker.min() > 0.3 * len(samples), per_worker
    assert samples["id"].is_unique
    # Every sample reached the master: the service's audit log has each id once, and no other.
    _accounted(doc)
    # Locust's own statistics can only miss requests (a worker's last report after its stop is
    # discarded by the master), never count more than were sent.
    assert doc.locust_bucketed is not None and doc.locust_bucketed.count is not None
    assert 0.9 * len(samples) <= doc.locust_bucketed.count <= len(samples)


@_HARNESS
def test_slow_llm_is_caught_by_p95_alone(load_runs: dict[str, Doc]) -> None:
    doc = load_runs["slow_llm"]
    assert doc.failures == ["p95_ms_max"], doc.checks
    check = next(c for c in doc.checks if c.name == "p95_ms_max")
    assert check.decisive and check.ci95 is not None and check.ci95[0] >= 2000
    # The service's own timings put the blame on the LLM path, not on the service.
    lat = doc.latency_ms
    assert lat.llm_path is not None and lat.overhead is not None
    assert (lat.llm_path.p95.value or 0) > 2000
    assert (lat.overhead.p50.value or 0) < 0.2 * (lat.client.p50.value or 0)
    _accounted(doc)


@_HARNESS
def test_llm_errors_are_caught_by_the_error_rate_alone(load_runs: dict[str, Doc]) -> None:
    doc = load_runs["llm_errors"]
    assert doc.failures == ["error_rate_max"], doc.checks
    _accounted(doc)
    req = doc.requests
    assert req.failed > 0 and set(req.by_status) <= {"200", "422", "503"}
    assert req.by_status["503"].client == req.failed  # every failure is the service's 503
    assert doc.rates.error.ci95 is not None and doc.rates.error.ci95[0] > 0


@_HARNESS
def test_broken_escalation_rule_is_caught_by_the_escalation_floor_alone(load_runs: dict[str, Doc]) -> None:
    doc = load_runs["broken_escalation"]
    assert doc.failures == ["escalation_rate_min"], doc.checks
    _accounted(doc)
    assert "low_confidence" not in doc.escalation_reasons
    assert "low_confidence" in load_runs["healthy"].escalation_reasons


@_HARNESS
@pytest.mark.parametrize("name", ["healthy", "slow_llm", "llm_errors", "broken_escalation"])
def test_report_follows_the_schema(load_runs: dict[str, Doc], name: str) -> None:
    doc = load_runs[name]
    assert doc.schema_ == "harness.sla/1"
    assert {c.name for c in doc.checks} == {
        "p95_ms_max", "error_rate_max", "invalid_rate_max", "escalation_rate_min", "escalation_rate_max",
        "tokens_per_request_max", "lost_max", "sent_min",
    }  # fmt: skip
    # The reference keeps its contract under every load: no 2xx junk, whatever else fails.
    assert doc.requests.invalid == 0 and doc.rates.invalid is not None and doc.rates.invalid.value == 0
    # The file as written (the model reads it, so its keys are the documented ones).
    raw = json.loads((_folder(doc) / "sla.json").read_text())
    for check in raw["checks"]:
        assert set(check) == {"name", "metric", "op", "limit", "value", "ci95", "unit", "pass", "decisive"}
    client = doc.latency_ms.client
    for point in (client.p50, client.p95, client.p99, client.p999):
        assert point.ci95 is not None and point.value is not None
        assert point.ci95[0] <= point.value <= point.ci95[1]
    folder = _folder(doc)
    assert set(doc.files.values()) <= {p.name for p in folder.glob("*.csv")}
    assert (folder.parents[1] / "sla.json").exists()  # the latest run's copy at <reports>/sla.json


@_HARNESS
@pytest.mark.parametrize("name", ["healthy", "llm_errors"])
def test_time_series_has_a_row_a_second_and_every_request(load_runs: dict[str, Doc], name: str) -> None:
    doc = load_runs[name]
    series = pd.read_csv(_folder(doc) / "timeseries.csv")
    assert list(series["second"]) == list(range(len(series)))
    completed = doc.requests.sent - doc.requests.no_outcome
    assert series["requests"].sum() == completed
    assert series["failed"].sum() == doc.requests.failed
    assert abs(len(series) - doc.run.run_time_s) <= 3


@_HARNESS
def test_per_agent_figures_add_up_to_the_requests(load_runs: dict[str, Doc]) -> None:
    doc = load_runs["healthy"]
    agents = doc.agents
    assert {"supervisor", "technical_support", "billing_support"} <= set(agents)
    assert doc.agents_cost_source == "service_metrics"
    # The service's own per-agent cost counters sum to what the client was told per request.
    agent_cost = sum(a.cost_usd or 0.0 for a in agents.values())
    assert agent_cost == pytest.approx(doc.cost_usd.total, rel=1e-6)
    tokens = sum(a.tokens_in + a.tokens_out for a in agents.values())
    assert tokens == doc.tokens.in_total + doc.tokens.out_total
    shares = sum(r.share for r in doc.routes.values())
    assert shares == pytest.approx(1.0)


@_HARNESS
def test_a_warm_up_is_counted_but_left_out_of_the_figures(load_runs: dict[str, Doc]) -> None:
    doc = load_runs["broken_escalation"]
    window, req = doc.window, doc.requests
    assert window.warmup_s == 4 and window.warmup_requests > 0
    assert window.warmup_requests + window.measured_requests == req.sent
    assert doc.latency_ms.client.count == window.measured_requests - req.no_outcome
    series = pd.read_csv(_folder(doc) / "timeseries.csv")
    assert list(series["warmup"][:4]) == [True] * 4 and not series["warmup"][4:].any()
    # The service's cost counters span the whole run: per-agent cost comes from the audit log,
    # and still adds up to what the measured requests were told they cost.
    assert doc.agents_cost_source == "audit"
    agent_cost = sum(a.cost_usd or 0.0 for a in doc.agents.values())
    assert agent_cost == pytest.approx(doc.cost_usd.total, rel=1e-6)
