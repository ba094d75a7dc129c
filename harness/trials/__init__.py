"""Repeated trials: every scenario k times, pass@1 and the unbiased pass^k with intervals.

    from harness.trials import run_trials, build_record, pooled, pass_hat_k
    trials = await run_trials(load_system(), load_scenarios(), repeat=4)

`harness trials --repeat 4` does it from the command line and writes reports/trials.json.
"""

from ._record import Interval, OverallTrials, ScenarioTrials, TrialsRecord
from ._run import Trial, build_record, judge, repeats_of, run_trials
from ._stats import Estimate, decide, more_trials, pass_hat_k, per_scenario, pooled, wilson

__all__ = [
    "Estimate",
    "Interval",
    "OverallTrials",
    "ScenarioTrials",
    "Trial",
    "TrialsRecord",
    "build_record",
    "decide",
    "judge",
    "more_trials",
    "pass_hat_k",
    "per_scenario",
    "pooled",
    "repeats_of",
    "run_trials",
    "wilson",
]
