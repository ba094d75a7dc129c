"""What a run measured, from the raw samples: latency (client, service, LLM path, overhead), rates,
routes, tokens, cost, per-agent figures, and Locust's own bucketed percentiles beside ours."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd

from ..measure import Reconciliation, mean_ci, percentiles, proportion_ci

__all__ = ["cost_source", "latency", "locust_bucketed", "measure", "per_agent"]

_LOCUST_COLUMNS = {"p50": "50%", "p95": "95%", "p99": "99%", "p999": "99.9%"}


def _answered(client: pd.DataFrame) -> pd.DataFrame:
    return client[client["kind"] == "answered"]


def llm_path(agents: pd.DataFrame) -> pd.Series:
    """Per request, the LLM critical path: the agents run one after another, so their sum."""
    return agents.groupby("request_id")["latency_ms"].sum()


def latency(client: pd.DataFrame, audit: pd.DataFrame | None, agents: pd.DataFrame | None) -> dict[str, Any]:
    """Client-side latency of every request with an outcome (failures too, as Locust counts them),
    the service's own, the LLM critical path and what the system adds to it (client - LLM path)."""
    done = client[client["kind"].notna()]
    out: dict[str, Any] = {"client": percentiles(done["ms"].to_numpy())}
    if audit is not None:
        out["server"] = percentiles(audit.loc[audit["status"].between(200, 299), "server_ms"].to_numpy())
    if agents is not None and not agents.empty:
        path = llm_path(agents)
        matched = done.set_index("id")["ms"].reindex(path.index).dropna()
        out["llm_path"] = percentiles(path.reindex(matched.index).to_numpy())
        out["client_with_llm"] = percentiles(matched.to_numpy())
        out["overhead"] = percentiles((matched - path.reindex(matched.index)).to_numpy())
        if audit is not None:
            out.update(_overhead_split(matched, path, audit))
    return out


def _overhead_split(client: pd.Series, path: pd.Series, audit: pd.DataFrame) -> dict[str, Any]:
    """Where the overhead goes, per request: inside the service (graph, guards, logging: its own
    latency minus the LLM path) and around it (client, network, web server: client minus it)."""
    answered = audit[audit["status"].between(200, 299)].drop_duplicates("request_id").set_index("request_id")
    ids = client.index.intersection(answered.index)
    server = answered.loc[ids, "server_ms"]
    return {
        "overhead_service": percentiles((server - path.loc[ids]).to_numpy()),
        "overhead_http": percentiles((client.loc[ids] - server).to_numpy()),
    }


def _rates(client: pd.DataFrame, rec: Reconciliation) -> dict[str, Any]:
    ok = _answered(client)
    escalated = ok["escalated"].fillna(False).astype(bool)
    return {
        "error": proportion_ci(rec.failed + rec.no_outcome, rec.sent),
        "invalid": proportion_ci(rec.invalid, rec.sent),
        "escalation": proportion_ci(int(escalated.sum()), len(ok)),
        "cache_hit": proportion_ci(int(ok["cache_hit"].fillna(False).astype(bool).sum()), len(ok)),
        "fallback": proportion_ci(int(ok["fallback"].notna().sum()), len(ok)),
    }


def _shares(series: pd.Series) -> dict[str, dict[str, Any]]:
    counts = series.astype(object).fillna("none").value_counts()  # an all-empty column reads as float
    total = int(counts.sum())
    return {str(k): {"requests": int(v), "share": v / total} for k, v in counts.items()}


_UNMEASURED = {"value": None, "ci95": None}


def _tokens_and_cost(client: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    ok = _answered(client)
    # A system whose replies carry no token counts has not measured any: null, never "0 tokens"
    # (an SLA check on it then says "not measured" instead of passing).
    reported = bool(ok[["tokens_in", "tokens_out"]].notna().to_numpy().any())
    tokens_in, tokens_out = ok["tokens_in"].fillna(0), ok["tokens_out"].fillna(0)
    tokens = {
        "per_request": mean_ci((tokens_in + tokens_out).to_numpy()) if reported else _UNMEASURED,
        "in_total": int(tokens_in.sum()),
        "out_total": int(tokens_out.sum()),
        "in_per_request": float(tokens_in.mean()) if len(ok) and reported else None,
        "out_per_request": float(tokens_out.mean()) if len(ok) and reported else None,
    }
    costed = bool(ok["cost_usd"].notna().any())
    cost = {
        "total": float(ok["cost_usd"].fillna(0).sum()) if costed else None,
        "per_request": mean_ci(ok["cost_usd"].fillna(0).to_numpy()) if costed else _UNMEASURED,
    }
    return tokens, cost


def per_agent(agents: pd.DataFrame, costs: dict[str, float] | None) -> dict[str, Any]:
    """Calls, latency, tokens per agent from the audit log; cost from the service's own counters
    (`costs`), else from the audit log when it carries one per agent, else null."""
    out: dict[str, Any] = {}
    from_audit = agents["cost_usd"].notna().any()
    for name, rows in agents.groupby("agent"):
        cost = costs.get(str(name)) if costs is not None else None
        if cost is None and from_audit:
            cost = float(rows["cost_usd"].fillna(0).sum())
        out[str(name)] = {
            "calls": len(rows),
            "latency_ms": percentiles(rows["latency_ms"].to_numpy()),
            "tokens_in": int(rows["tokens_in"].fillna(0).sum()),
            "tokens_out": int(rows["tokens_out"].fillna(0).sum()),
            "cost_usd": cost,
        }
    return out


def cost_source(agents: pd.DataFrame | None, costs: dict[str, float] | None) -> str | None:
    if agents is None or agents.empty:
        return None
    if costs:
        return "service_metrics"
    return "audit" if agents["cost_usd"].notna().any() else None


def locust_bucketed(stats_csv: Path) -> dict[str, Any] | None:
    """Locust's own Aggregated percentiles (bucketed: 1,234 ms counts as 1,200 ms), for comparison."""
    if not stats_csv.is_file():
        return None
    with stats_csv.open(encoding="utf-8") as handle:
        row = next((r for r in csv.DictReader(handle) if r.get("Name") == "Aggregated"), None)
    if row is None:
        return None
    figures: dict[str, Any] = {k: _number(row.get(col)) for k, col in _LOCUST_COLUMNS.items()}
    return figures | {
        "count": _number(row.get("Request Count")),
        "failures": _number(row.get("Failure Count")),
    }


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "", "N/A") else None
    except ValueError:
        return None


def measure(
    client: pd.DataFrame,
    audit: pd.DataFrame | None,
    agents: pd.DataFrame | None,
    rec: Reconciliation,
    costs: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Every figure of sla.json but the run header, the checks and the time series."""
    ok = _answered(client)
    tokens, cost = _tokens_and_cost(client)
    return {
        "latency_ms": latency(client, audit, agents),
        "rates": _rates(client, rec),
        "routes": _shares(ok["route"]),
        "escalation_reasons": _shares(
            ok.loc[ok["escalated"].fillna(False).astype(bool), "escalation_reason"]
        ),
        "categories": _shares(client["category"]),
        "tokens": tokens,
        "cost_usd": cost,
        "agents": per_agent(agents, costs) if agents is not None else {},
        "agents_cost_source": cost_source(agents, costs),
    }
