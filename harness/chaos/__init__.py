"""Chaos experiments: declarative YAML faults (network, LLM, handoff) under background load.

    harness chaos --suite nightly          # or: python -m harness.chaos --suite short --bite

    from harness.chaos import load_catalogue, run_experiment
    result = await run_experiment(load_catalogue(names=["net-latency"])[0], targets, suite="short")

Each experiment states a steady-state hypothesis (error rate, P95, lost requests, recovery...),
injects one fault for a while, rolls it back whatever happens, and reports whether the
hypothesis held before, during and after. Files: the system's own `*.yaml` folder
(`[tool.harness.system] experiments`; the reference's: examples/support_desk/chaos/); report
schema: docs/chaos-schema.md.
"""

from ._catalogue import GENERIC_CATALOGUE, check_against, load_catalogue, load_experiment
from ._faults import Targets, leftovers
from ._kinds import FAULT_KINDS
from ._report import bite_table, build_chaos_report, write_report
from ._runner import not_applicable, run_experiment, settle
from ._schema import Experiment
from ._stacks import attach, owned_stack, targets_of

__all__ = [
    "FAULT_KINDS",
    "GENERIC_CATALOGUE",
    "Experiment",
    "Targets",
    "attach",
    "bite_table",
    "build_chaos_report",
    "check_against",
    "leftovers",
    "load_catalogue",
    "load_experiment",
    "not_applicable",
    "owned_stack",
    "run_experiment",
    "settle",
    "targets_of",
    "write_report",
]
