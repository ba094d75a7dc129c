"""`reports/index.html`: the summary rendered for a release manager, self-contained.

Everything is inline — CSS in the page, charts as data URIs — and the only links are relative
(coverage's HTML, the JUnit XML, the logs, summary.json), so the page opens from a CI artifact
with no network. Numbers come from the summary; charts from the CSVs it names.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import jinja2

from . import _charts
from ._collect import read_samples
from ._summary import SlaSection, Summary

__all__ = ["charts_for", "render_html", "write_html"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def _rows(reports: Path, sla: SlaSection, name: str) -> list[dict[str, str]]:
    file = sla.files.get(name)
    if not file:
        return []
    path = Path(file) if Path(file).is_absolute() else reports / file
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except OSError:
        return []


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _sla_charts(sla: SlaSection, reports: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    ms = [
        v
        for r in read_samples(sla, reports)
        if r.get("status") not in ("", None) and (v := _float(r.get("ms"))) is not None
    ]
    pcts = {p.name: p.value for p in sla.percentiles if p.name in ("p50", "p95", "p99")}
    limit = next((c.limit for c in sla.checks if c.name == "p95_ms_max"), None)
    if ms:
        out["histogram"] = _charts.latency_histogram(ms, pcts, limit)
        out["cdf"] = _charts.latency_cdf(ms, pcts, limit)
    series = _rows(reports, sla, "timeseries")
    if series:
        out["timeseries"] = _charts.timeseries_chart(series)
    if sla.agents:
        per_agent: dict[str, list[float]] = {}
        for r in _rows(reports, sla, "server_agents"):
            if (v := _float(r.get("latency_ms"))) is not None:
                per_agent.setdefault(r.get("agent", "?"), []).append(v)
        out["agents"] = _charts.agents_chart(sla.agents, per_agent)
    return out


def charts_for(summary: Summary, reports: Path) -> dict[str, str]:
    """Chart name -> data URI; a chart whose data is missing is simply absent."""
    out = {"pyramid": _charts.pyramid_chart(summary.pyramid)}
    if summary.sla is not None:
        out |= _sla_charts(summary.sla, reports)
    if summary.chaos is not None:
        for e in summary.chaos.experiments:
            if e.resilience == "on":
                out[f"chaos:{e.name}"] = _charts.chaos_timeline(e)
    return out


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _pct(value: float | None, digits: int = 1) -> str:
    """A ratio (0.02) as a percentage (2.0%)."""
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _measure(value: float | None, unit: str) -> str:
    if value is None:
        return "not measured"
    if unit == "ratio":
        return _pct(value, 2)
    if unit == "%":
        return f"{value:.2f}%"
    if unit == "usd":
        return f"${value:.5f}"
    if unit == "ms":
        return f"{value:,.1f} ms"
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"
    return text + (f" {unit}" if unit else "")


_PROBES = {
    "error_rate": "errors",
    "p95_ms": "P95",
    "misrouted_rate": "misrouted",
    "escalated_rate": "escalated",
    "degraded_rate": "degraded",
    "token_inflation": "tokens",
    "ttft_p95_ms": "TTFT P95",
    "completion_rate_min": "streams completed",
}


def _probe(value: float | None, probe: str) -> str:
    """A chaos probe's value the way its limit reads: rates in %, P95 in ms, inflation as a factor."""
    name = _PROBES.get(probe, probe)
    if value is None:
        return f"{name} –"
    if probe in ("p95_ms", "ttft_p95_ms"):
        return f"{name} {value:,.0f} ms"
    if probe == "token_inflation":
        return f"{name} ×{value:.2f}"
    return f"{name} {_pct(value)}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,  # test names and messages are text, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=_num, pct=_pct, measure=_measure, probe=_probe)
    return env


def render_html(summary: Summary, charts: dict[str, str]) -> str:
    page = _environment().get_template("report.html.j2")
    return page.render(s=summary, charts=charts)


def write_html(summary: Summary, reports: Path) -> Path:
    path = reports / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_html(summary, charts_for(summary, reports)), encoding="utf-8")
    tmp.replace(path)
    return path
