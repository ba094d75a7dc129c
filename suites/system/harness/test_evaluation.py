"""The evaluation's parts on known inputs: exact percentiles and their intervals, reconciliation,
SLA thresholds, profiles and the scenario mix. No stack, no Locust: a second or two."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness._exceptions import LoadError
from harness.load import SLA, load_profile, load_sla
from harness.load._analysis import split_warmup
from harness.load._metrics import latency, measure
from harness.load._mix import Deck, default_mix, expected_rates, read_items
from harness.load._sla import evaluate
from harness.measure import (
    AUDIT_COLUMNS,
    COLUMNS,
    StatusCount,
    mean_ci,
    percentile,
    percentile_ci,
    percentiles,
    proportion_ci,
    reconcile,
)
from harness.sut import load_declaration

pytestmark = [pytest.mark.system, pytest.mark.harness_self]

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = load_declaration(ROOT / "pyproject.toml").scenarios_path
# The reference system's traffic mix, as its pyproject declares it.
MIX = load_profile("smoke", pyproject=ROOT / "pyproject.toml").mix
_KIND = {200: "answered", 422: "rejected", 503: "retriable", 0: "no_response"}


# -- percentiles -----------------------------------------------------------------------------


def test_percentiles_are_exact_samples_not_buckets() -> None:
    values = np.arange(1, 1001, dtype=float) + 0.234  # 1.234 ... 1000.234 ms
    assert percentile(values, 0.50) == 500.234
    assert percentile(values, 0.95) == 950.234
    assert percentile(values, 0.999) == 999.234
    assert percentile([1234.0] * 7, 0.95) == 1234.0  # Locust would count it as 1,200
    assert percentile(np.array([3.0, 1.0, 2.0]), 0.5) == 2.0  # unsorted input is sorted first


def test_percentile_interval_matches_plain_resampling() -> None:
    rng = np.random.default_rng(1)
    values = rng.lognormal(np.log(400), 0.5, size=400)
    fast = percentile_ci(values, 0.95, boot=20_000, seed=2)
    resampled = [percentile(rng.choice(values, values.size), 0.95) for _ in range(4000)]
    slow = np.quantile(resampled, [0.025, 0.975])
    assert fast is not None
    assert fast[0] == pytest.approx(slow[0], rel=0.03) and fast[1] == pytest.approx(slow[1], rel=0.03)


def test_interval_covers_the_true_quantile_about_95_percent_of_the_time() -> None:
    rng, true_p95, covered = np.random.default_rng(3), 400 * np.exp(0.5 * 1.6448536), 0
    for seed in range(200):
        low, high = percentile_ci(rng.lognormal(np.log(400), 0.5, size=300), 0.95, seed=seed) or (0, 0)
        covered += low <= true_p95 <= high
    assert 180 <= covered <= 199  # 95% of 200, give or take the binomial spread


def test_summary_statistics_of_small_and_empty_samples() -> None:
    assert percentiles([])["p95"] == {"value": None, "ci95": None}
    one = percentiles([42.0])
    assert one["p999"]["value"] == 42.0 and one["p999"]["ci95"] == [42.0, 42.0]
    assert mean_ci([2.0, 4.0])["value"] == 3.0
    assert proportion_ci(0, 0)["value"] is None
    rate = proportion_ci(5, 100)
    assert rate["value"] == 0.05 and 0.005 < rate["ci95"][0] < 0.05 < rate["ci95"][1] <= 0.1


# -- reconciliation --------------------------------------------------------------------------


def _client(rows: list[tuple[str, int | None, int]]) -> pd.DataFrame:
    """Samples from (id, HTTP status or None for no outcome, the status the scenario expects)."""
    docs = [
        {"id": i, "status": s, "kind": None if s is None else _KIND[s], "expected": _KIND[e]}
        for i, s, e in rows
    ]
    frame = pd.DataFrame(docs, columns=COLUMNS)
    frame["status"] = pd.to_numeric(frame["status"])
    frame["ok"] = frame["kind"] == frame["expected"]
    return frame


def _audit(rows: list[tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame([{"request_id": i, "status": s} for i, s in rows], columns=AUDIT_COLUMNS)


def test_reconciliation_accounts_for_every_request() -> None:
    client = _client([("a", 200, 200), ("b", 503, 200), ("c", 422, 422), ("d", 0, 200)])
    rec = reconcile(client, _audit([("a", 200), ("b", 503), ("c", 422)]))
    assert (rec.sent, rec.answered, rec.failed, rec.lost) == (4, 2, 2, 0)
    assert rec.by_status["503"] == StatusCount(client=1, server=1)
    assert rec.by_status["0"] == StatusCount(client=1, server=0)  # a timeout is a failure, not a loss


@pytest.mark.parametrize(
    ("client", "audit", "kind"),
    [
        ([("a", None, 200)], [], "no_outcome"),
        ([("a", 200, 200)], [], "missing_in_audit"),
        ([("a", 200, 200)], [("a", 503)], "status_mismatch"),
        ([("a", 200, 200)], [("a", 200), ("z", 200)], "unknown_in_audit"),
        ([("a", 200, 200)], [("a", 200), ("a", 200)], "duplicate_in_audit"),
    ],
)
def test_each_kind_of_loss_is_caught(client: list, audit: list, kind: str) -> None:
    rec = reconcile(_client(client), _audit(audit))
    assert getattr(rec, kind) == 1 and rec.lost == 1, rec
    assert rec.examples


def test_without_an_audit_log_only_the_client_side_is_checked() -> None:
    rec = reconcile(_client([("a", 200, 200), ("b", None, 200)]), None)
    assert not rec.audit_checked and rec.lost == 1 and rec.missing_in_audit == 0


def test_the_warm_up_is_reconciled_and_counted_for_errors_but_left_out_of_the_figures() -> None:
    # t = 0..9 s: a cold start, 5 s answers and one failure; after 3 s: 100 ms answers.
    client = _client([(f"r{t}", 503 if t == 1 else 200, 200) for t in range(10)])
    client["start"] = 1000.0 + np.arange(10.0)
    client["ms"] = np.where(np.arange(10) < 3, 5000.0, 100.0)
    client["escalated"], client["cache_hit"], client["route"] = False, False, "general_support"
    rec = reconcile(client, None)
    steady, window = split_warmup(client, 3.0)
    assert window == {"warmup_s": 3.0, "warmup_requests": 3, "warmup_failed": 1, "measured_requests": 7}
    figures = measure(steady, None, None, rec)
    assert figures["latency_ms"]["client"]["count"] == 7
    assert figures["latency_ms"]["client"]["max"] == 100.0  # no cold 5 s answer in the figures
    assert figures["rates"]["error"]["count"] == 1 and figures["rates"]["error"]["of"] == 10
    assert sum(r["requests"] for r in figures["routes"].values()) == 7
    assert split_warmup(client, 0.0)[1]["warmup_requests"] == 0


def test_the_overhead_splits_into_inside_and_around_the_service() -> None:
    # Three answers: client, service and LLM-path times chosen so each part is known exactly.
    client = _client([("a", 200, 200), ("b", 200, 200), ("c", 200, 200)])
    client["ms"] = [1010.0, 2020.0, 3030.0]
    audit = _audit([("a", 200), ("b", 200), ("c", 200)])
    audit["server_ms"] = [1006.0, 2012.0, 3018.0]  # 4, 8, 12 ms around the service
    agents = pd.DataFrame(
        {"request_id": ["a", "a", "b", "c"], "latency_ms": [500.0, 500.0, 2010.0, 3015.0]}
    )  # 6, 2, 3 ms inside it
    out = latency(client, audit, agents)
    assert [out["overhead_service"][k] for k in ("min", "max", "mean")] == [2.0, 6.0, pytest.approx(11 / 3)]
    assert [out["overhead_http"][k] for k in ("min", "max", "mean")] == [4.0, 12.0, 8.0]
    total = out["overhead"]["mean"]
    assert total == pytest.approx(out["overhead_service"]["mean"] + out["overhead_http"]["mean"])


def test_a_warm_up_as_long_as_the_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"warmup_s \(15\) must be shorter than the run"):
        load_profile("smoke", pyproject=_pyproject(tmp_path, ""), overrides={"warmup_s": 15})


# -- SLA -------------------------------------------------------------------------------------


def test_pyproject_holds_the_documented_defaults() -> None:
    sla = load_sla(ROOT / "pyproject.toml")
    assert (sla.p95_ms_max, sla.error_rate_max, sla.tokens_per_request_max) == (2000, 0.02, 12000)
    assert (sla.escalation_rate_min, sla.escalation_rate_max) == (0.15, 0.20)
    assert sla == SLA()


def _metrics(p95: float, error: float, escalation: float, tokens: float, invalid: float = 0.0) -> dict:
    point = {"value": 0.0, "ci95": [0.0, 0.0]}
    return {
        "latency_ms": {"client": {"p95": {"value": p95, "ci95": [p95 - 10, p95 + 10]}}},
        "rates": {
            "error": {"value": error, "ci95": [error, error]},
            "invalid": {"value": invalid, "ci95": [invalid, invalid]},
            "escalation": {"value": escalation, "ci95": None},
        },
        "tokens": {"per_request": {"value": tokens, "ci95": [tokens, tokens]}},
        "cost_usd": {"per_request": point},
    }


@pytest.mark.parametrize(
    ("metrics", "failed"),
    [
        (_metrics(1999.9, 0.0199, 0.15, 11999), set()),  # every bound inclusive or strict as documented
        (_metrics(2000.0, 0.0, 0.20, 0), {"p95_ms_max"}),  # "P95 < 2000": 2000 itself fails
        (_metrics(100, 0.02, 0.17, 0), {"error_rate_max"}),
        (_metrics(100, 0.0, 0.1499, 0), {"escalation_rate_min"}),
        (_metrics(100, 0.0, 0.2001, 0), {"escalation_rate_max"}),
        (_metrics(100, 0.0, 0.17, 12000), {"tokens_per_request_max"}),
        (_metrics(100, 0.0, 0.17, 0, invalid=0.001), {"invalid_rate_max"}),  # none at all, by default
    ],
)
def test_each_threshold_fails_on_its_own(metrics: dict, failed: set[str]) -> None:
    checks = evaluate(SLA(), metrics, lost=0, sent=100)
    assert {c.name for c in checks if not c.passed} == failed


def test_a_lost_request_or_an_empty_run_fails_whatever_the_numbers() -> None:
    metrics = _metrics(100, 0.0, 0.17, 100)
    assert [c.name for c in evaluate(SLA(), metrics, lost=1, sent=10) if not c.passed] == ["lost_max"]
    assert [c.name for c in evaluate(SLA(), metrics, lost=0, sent=0) if not c.passed] == ["sent_min"]


def test_the_interval_says_whether_the_verdict_is_decisive() -> None:
    near, far = (
        evaluate(SLA(), _metrics(1995, 0, 0.17, 0), lost=0, sent=1),
        evaluate(SLA(), _metrics(500, 0, 0.17, 0), lost=0, sent=1),
    )
    assert near[0].passed and not near[0].decisive
    assert far[0].passed and far[0].decisive


def _pyproject(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(textwrap.dedent(body))
    return path


def test_a_bad_sla_table_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"unknown key 'p95'; known: p50_ms_max, p95_ms_max"):
        load_sla(_pyproject(tmp_path, "[tool.harness.sla]\np95 = 100\n"))
    with pytest.raises(LoadError, match=r"error_rate_max = 2: Input should be less than or equal to 1"):
        load_sla(_pyproject(tmp_path, "[tool.harness.sla]\nerror_rate_max = 2\n"))


def test_profile_overrides_the_sla_and_false_turns_a_threshold_off(tmp_path: Path) -> None:
    path = _pyproject(
        tmp_path,
        """
        [tool.harness.sla]
        p95_ms_max = 1500
        [tool.harness.load.profiles.nightly]
        sla = { p95_ms_max = 3000, escalation_rate_min = false }
        """,
    )
    assert load_sla(path).p95_ms_max == 1500
    profile = load_profile("nightly", pyproject=path)
    sla = load_sla(path, profile.sla, profile="nightly")
    assert sla.p95_ms_max == 3000 and sla.escalation_rate_min is None and sla.escalation_rate_max == 0.2
    with pytest.raises(LoadError, match=r"load profile 'nightly' sla: unknown key 'p96_ms_max'"):
        load_sla(path, {"p96_ms_max": 1}, profile="nightly")


# -- profiles --------------------------------------------------------------------------------


def test_a_bad_profile_name_lists_the_available_ones(tmp_path: Path) -> None:
    with pytest.raises(
        LoadError, match=r"unknown load profile 'smok'; available: ramp, smoke, soak, spike, steady"
    ):
        load_profile("smok", pyproject=_pyproject(tmp_path, ""))


def test_a_bad_profile_value_names_the_key(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, "[tool.harness.load.profiles.smoke]\nusers = 0\n")
    with pytest.raises(
        LoadError, match=r"load profile 'smoke': users: Input should be greater than or equal to 1"
    ):
        load_profile("smoke", pyproject=path)
    path = _pyproject(tmp_path, "[tool.harness.load.profiles.smoke]\nuserz = 3\n")
    with pytest.raises(LoadError, match=r"userz: Extra inputs are not permitted \(unknown key"):
        load_profile("smoke", pyproject=path)


def test_profiles_merge_from_package_pyproject_file_and_flags(tmp_path: Path) -> None:
    path = _pyproject(
        tmp_path,
        """
        [tool.harness.load.defaults.env]
        EXTRA = "1"
        [tool.harness.load.profiles.smoke]
        duration_s = 5
        mix = { technical = 1 }
        """,
    )
    extra = tmp_path / "more.toml"
    extra.write_text("[profiles.smoke]\nusers = 3\n[profiles.mine]\nusers = 2\nwait_s = [1, 2]\n")
    smoke = load_profile("smoke", pyproject=path, extra=extra, overrides={"spawn_rate": 1.5, "users": None})
    assert (smoke.users, smoke.duration_s, smoke.spawn_rate, smoke.mix) == (3, 5, 1.5, {"technical": 1})
    assert smoke.env == {"EXTRA": "1"}  # the packaged profiles know no system's env
    mine = load_profile("mine", pyproject=path, extra=extra)
    assert mine.wait_s == (1, 2) and mine.mix == {} and mine.llm.latency == "fast"
    assert default_mix(read_items(SCENARIOS)) == dict.fromkeys(sorted(MIX), 1.0)  # no mix: even


def test_staged_profiles_ramp_and_spike() -> None:
    ramp = load_profile("ramp", pyproject=ROOT / "pyproject.toml")
    table = ramp.stage_table()
    assert [row[1] for row in table] == [1, 2, 4, 8, 16, 32, 64] and table[-1][0] == ramp.run_time_s == 140
    spike = load_profile("spike", pyproject=ROOT / "pyproject.toml")
    assert spike.peak_users == 100


# -- the scenario mix ------------------------------------------------------------------------


def test_the_default_mix_sits_inside_the_default_escalation_band() -> None:
    expected = expected_rates(read_items(SCENARIOS), MIX)["escalation_rate"]
    assert 0.16 <= expected <= 0.18


def test_every_run_of_the_deck_holds_its_escalation_rate() -> None:
    items, weights = read_items(SCENARIOS), MIX
    deck = Deck(items, weights)
    expected = expected_rates(items, weights)["escalation_rate"]
    escalated = answered = 0
    for n in range(1, 1001):
        item = deck.draw()
        answered += not item.rejected
        escalated += item.escalated
        if n >= 100:
            assert abs(escalated / answered - expected) < 0.02, n


def test_an_unknown_category_in_a_mix_is_named() -> None:
    with pytest.raises(LoadError, match=r"mix: unknown category 'billin'; known: ambiguous, billing"):
        Deck(read_items(SCENARIOS), {"billin": 1})


def test_a_system_that_reports_no_tokens_has_not_measured_them() -> None:
    # Replies without token counts or cost: not "0 tokens" (which would pass any budget).
    client = _client([(f"r{t}", 200, 200) for t in range(5)])
    client["start"], client["ms"] = 1000.0 + np.arange(5.0), 100.0
    client["escalated"], client["cache_hit"], client["route"] = False, False, "billing"
    figures = measure(client, None, None, reconcile(client, None))
    assert figures["tokens"]["per_request"] == {"value": None, "ci95": None}
    assert figures["tokens"]["in_per_request"] is None and figures["cost_usd"]["total"] is None
    check = next(c for c in evaluate(SLA(), figures, lost=0, sent=5) if c.name == "tokens_per_request_max")
    assert not check.passed and check.value is None
    client.loc[0, ["tokens_in", "tokens_out"]] = [300, 200]  # one reply says: now it is measured
    figures = measure(client, None, None, reconcile(client, None))
    assert figures["tokens"]["per_request"]["value"] == 100.0
