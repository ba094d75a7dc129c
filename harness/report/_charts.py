"""The report's charts: matplotlib (Agg) figures as self-contained SVG data URIs.

Data URIs rather than inline `<svg>`: matplotlib reuses element ids in every figure, and two
inline figures with the same clip-path id would clip each other. Text stays text
(`svg.fonttype = none`), so the charts are small and the browser draws the labels.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, no GUI toolkit, ever

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

from ._summary import ChaosExperiment, PyramidSection, SlaAgent

__all__ = [
    "agents_chart",
    "chaos_timeline",
    "latency_cdf",
    "latency_histogram",
    "pyramid_chart",
    "timeseries_chart",
]

INK, MUTED, ACCENT, WARN, BAD, GOOD = "#1f2937", "#6b7280", "#2563eb", "#d97706", "#dc2626", "#16a34a"
_STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "harness-report",  # the same data draws the same file
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.edgecolor": "#d1d5db",
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e7eb",
    "xtick.color": MUTED,
    "ytick.color": MUTED,
}
_PCT_COLORS = {"p50": GOOD, "p95": WARN, "p99": BAD, "p999": "#7c3aed"}


@contextmanager
def _figure(
    width: float, height: float, rows: int = 1, cols: int = 1, **kw: Any
) -> Iterator[tuple[Figure, Any]]:
    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(rows, cols, figsize=(width, height), layout="constrained", **kw)
        try:
            yield fig, axes
        finally:
            plt.close(fig)


def _uri(fig: Figure) -> str:
    buf = io.BytesIO()
    with plt.rc_context(_STYLE):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def pyramid_chart(pyramid: PyramidSection) -> str:
    """Share of tests per tier beside the ideal 70/20/8/2, widest at the bottom like a pyramid."""
    tiers = list(reversed(pyramid.tiers))  # chaos on top
    y = np.arange(len(tiers))
    with _figure(6.4, 2.6) as (fig, ax):
        actual = [100 * t.share for t in tiers]
        ideal = [100 * t.ideal_share for t in tiers]
        ax.barh(y, actual, left=[-a / 2 for a in actual], color=ACCENT, alpha=0.85, label="actual share")
        ax.barh(
            y,
            ideal,
            left=[-i / 2 for i in ideal],
            fill=False,
            edgecolor=INK,
            linestyle="--",
            linewidth=1.2,
            label="ideal 70/20/8/2",
        )
        ax.set_yticks(y, [f"{t.tier}\n{t.tests} tests" for t in tiers])
        ax.set_xlim(-55, 55)
        ax.set_xticks([-50, -25, 0, 25, 50], ["50%", "25%", "0", "25%", "50%"])
        for yi, a, t in zip(y, actual, tiers, strict=True):
            ax.text(
                max(a, 100 * t.ideal_share) / 2 + 1.5,
                yi,
                f"{a:.1f}% (ideal {100 * t.ideal_share:.0f}%)",
                va="center",
                fontsize=8,
                color=INK,
            )
        ax.grid(False)
        ax.legend(loc="lower left", fontsize=8, frameon=False)
        return _uri(fig)


def _pct_lines(
    ax: Any, percentiles: dict[str, float | None], limit: float | None, vertical: bool = True
) -> None:
    line = ax.axvline if vertical else ax.axhline
    for name, value in percentiles.items():
        if value is not None:
            line(value, color=_PCT_COLORS.get(name, INK), linewidth=1.2, label=f"{name} {value:,.0f} ms")
    if limit is not None:
        line(limit, color=BAD, linestyle="--", linewidth=1.2, label=f"SLA P95 limit {limit:,.0f} ms")


def latency_histogram(ms: Sequence[float], percentiles: dict[str, float | None], limit: float | None) -> str:
    with _figure(6.4, 2.8) as (fig, ax):
        ax.hist(ms, bins=min(60, max(10, len(ms) // 8)), color=ACCENT, alpha=0.8)
        _pct_lines(ax, percentiles, limit)
        ax.set_xlabel("end-to-end latency (ms), client side")
        ax.set_ylabel("requests")
        ax.legend(fontsize=8, frameon=False)
        return _uri(fig)


def latency_cdf(ms: Sequence[float], percentiles: dict[str, float | None], limit: float | None) -> str:
    ranked = np.sort(np.asarray(ms, dtype=float))
    share = np.arange(1, len(ranked) + 1) / len(ranked)
    with _figure(6.4, 2.8) as (fig, ax):
        ax.step(
            ranked, share, where="post", color=ACCENT, linewidth=1.6, label="share of requests at or below"
        )
        _pct_lines(ax, percentiles, limit)
        ax.set_xlabel("end-to-end latency (ms), client side")
        ax.set_ylabel("cumulative share")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=8, frameon=False, loc="lower right")
        return _uri(fig)


def timeseries_chart(rows: list[dict[str, str]]) -> str:
    """Throughput, error rate and P50/P95 per second of the run (timeseries.csv)."""

    def col(name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.array([float(r[name]) if r.get(name) not in (None, "") else np.nan for r in rows])

    t = col("second")
    with _figure(6.4, 5.0, rows=3, sharex=True) as (fig, (a1, a2, a3)):
        a1.bar(t, col("requests"), width=0.9, color=ACCENT, alpha=0.8)
        a1.set_ylabel("requests/s")
        errors = 100 * col("error_rate")
        a2.plot(t, errors, color=BAD, marker=".", linewidth=1.2)
        a2.set_ylabel("error rate (%)")
        # At least 0-1%: an all-zero series would otherwise get a meaningless +-0.04 axis.
        a2.set_ylim(0, max(1.0, float(np.nanmax(errors, initial=0.0)) * 1.15))
        a3.plot(t, col("p50_ms"), color=GOOD, label="p50", linewidth=1.4)
        a3.plot(t, col("p95_ms"), color=WARN, label="p95", linewidth=1.4)
        a3.set_ylabel("latency (ms)")
        a3.set_xlabel("second of the run")
        a3.legend(fontsize=8, frameon=False)
        return _uri(fig)


def agents_chart(agents: list[SlaAgent], latencies: dict[str, list[float]]) -> str:
    """Per agent: latency distribution (server_agents.csv, else P50/P95 bars), tokens, cost."""
    names = [a.agent for a in agents]
    y = np.arange(len(names))
    with _figure(7.2, 0.55 * len(names) + 1.6, cols=3) as (fig, (a1, a2, a3)):
        if all(latencies.get(n) for n in names):
            a1.boxplot(
                [latencies[n] for n in names],
                orientation="horizontal",
                widths=0.6,
                showfliers=False,
                medianprops={"color": INK},
            )
            a1.set_yticks(y + 1, names)
        else:
            a1.barh(y, [a.p95_ms or 0 for a in agents], color=WARN, label="p95")
            a1.barh(y, [a.p50_ms or 0 for a in agents], color=GOOD, label="p50")
            a1.set_yticks(y, names)
            a1.legend(fontsize=7, frameon=False)
        a1.set_xlabel("LLM call latency (ms)")
        a2.barh(y, [a.tokens_in for a in agents], color=ACCENT, label="in")
        a2.barh(
            y, [a.tokens_out for a in agents], left=[a.tokens_in for a in agents], color=WARN, label="out"
        )
        a2.set_yticks(y, [""] * len(names))
        a2.set_xlabel("tokens")
        a2.legend(fontsize=7, frameon=False)
        a3.barh(y, [a.cost_usd or 0 for a in agents], color=MUTED)
        a3.set_yticks(y, [""] * len(names))
        a3.set_xlabel("cost (USD)")
        return _uri(fig)


def chaos_timeline(e: ChaosExperiment) -> str:
    """Per phase, error rate and P95 as steps over the run's seconds; the fault window shaded;
    breaker changes and the moment of recovery marked."""
    end = e.ended_s or 0.0
    start_fault = e.injected_s if e.injected_s is not None else end
    stop_fault = e.rolled_back_s if e.rolled_back_s is not None else start_fault
    spans = {"before": (0.0, start_fault), "during": (start_fault, stop_fault), "after": (stop_fault, end)}
    with _figure(5.0, 2.4) as (fig, ax):
        if e.injected_s is not None:
            ax.axvspan(start_fault, stop_fault, color=BAD, alpha=0.12, label="fault active")
        right = ax.twinx()
        top_ms = 0.0
        for phase, (x0, x1) in spans.items():
            stats = e.phases.get(phase, {})
            if x1 > x0 and stats.get("sent"):
                ax.hlines(100 * float(stats.get("error_rate") or 0), x0, x1, color=BAD, linewidth=2)
                if stats.get("p95_ms") is not None:
                    p95 = float(stats["p95_ms"] or 0)
                    right.hlines(p95, x0, x1, color=ACCENT, linewidth=2, linestyles="--")
                    top_ms = max(top_ms, p95)
        for tr in e.breaker_transitions:
            ax.axvline(float(tr["t_s"]), color=MUTED, linewidth=0.8, linestyle=":")
        if e.recovery_s is not None and e.rolled_back_s is not None:
            ax.axvline(e.rolled_back_s + e.recovery_s, color=GOOD, linewidth=1.5, label="recovered")
        ax.plot([], [], color=BAD, linewidth=2, label="error rate (%)")
        ax.plot([], [], color=ACCENT, linewidth=2, linestyle="--", label="P95 (ms, right)")
        ax.set_xlim(0, max(end, 1.0))
        # Headroom above the highest line, so no step hides under the frame.
        ax.set_ylim(0, max(5.0, ax.get_ylim()[1] * 1.2))
        right.set_ylim(0, max(top_ms * 1.3, 100.0))
        right.grid(False)
        ax.set_xlabel("seconds since the run started")
        ax.set_ylabel("error rate (%)")
        fig.legend(fontsize=7, frameon=False, loc="outside upper center", ncols=4)
        return _uri(fig)
