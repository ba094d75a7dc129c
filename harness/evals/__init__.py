"""deepeval metrics for multi-agent behaviour, offline and deterministic, plus an optional judge.

    from harness.evals import assert_metrics, case_for
    assert_metrics(case_for(scenario, outcome))     # deepeval's assert_test, run synchronously

Importing this package imports deepeval (seconds): keep it out of fast paths. Set
`DEEPEVAL_TELEMETRY_OPT_OUT=YES` and `DEEPEVAL_FILE_SYSTEM=READ_ONLY` (the harness's conftest
does) so nothing phones home or is written to the working directory.
"""

import os

os.environ.setdefault("DEEPEVAL_TELEMETRY_OPT_OUT", "YES")
os.environ.setdefault("DEEPEVAL_FILE_SYSTEM", "READ_ONLY")

from ._cases import all_metrics, assert_metrics, case_for
from ._judge import OpenAICompatibleJudge, helpfulness_judge, judge_or_skip_reason
from ._metrics import (
    AnswerSchema,
    EscalationPolicy,
    PIILeakage,
    RoutingCorrectness,
    TokenBudget,
    ToolTrajectory,
)

__all__ = [
    "AnswerSchema",
    "EscalationPolicy",
    "OpenAICompatibleJudge",
    "PIILeakage",
    "RoutingCorrectness",
    "TokenBudget",
    "ToolTrajectory",
    "all_metrics",
    "assert_metrics",
    "case_for",
    "helpfulness_judge",
    "judge_or_skip_reason",
]
