"""The one exception tree of the harness.

    HarnessError
    ├── ConfigError                 a setting or a declaration has a bad value (names it and the fix)
    ├── InputValidationError        a system under test refused a query before any agent ran
    │                               (raise it, or declare your own, to have a turn count as rejected)
    ├── ScenarioError               a labelled scenario file is malformed (names file, line, field)
    ├── ProxyError                  the embedded Toxiproxy-compatible server failed
    ├── StackError                  a stack process failed to start or become healthy
    ├── MockServerError             the mock LLM server failed: a port, a config, a fault rule
    ├── ChaosError                  a chaos run could not inject, roll back or reach its stack
    │   └── ExperimentError         an experiment file is invalid (names file, field, allowed)
    ├── LoadError                   a load run could not run: a profile, an SLA table, Locust itself
    ├── ReportError                 the release report, gate or compare has no usable input
    ├── TrialsError                 repeated trials cannot run (too few for pass^k, no scenarios)
    │                               or reports/trials.json is unusable
    ├── MutationError               a mutation run cannot start or trust itself: a package not found,
    │                               a tier failing un-mutated, a test run not importing the copy
    └── MockLLMError
        ├── ScriptError             a mock LLM script is malformed (raised at setup)
        ├── CassetteError           a cassette file is unreadable or invalid, or recording failed
        └── UnscriptedCallError     (also AssertionError) a call no script matched
            └── CassetteMissError   a request no recording in the cassette matches (with a diff)

Messages say what went wrong, where, and how to fix it. A system under test keeps its own
errors: the reference example's are in `support_desk._errors`.
"""

from __future__ import annotations

__all__ = [
    "CassetteError",
    "CassetteMissError",
    "ChaosError",
    "ConfigError",
    "ExperimentError",
    "HarnessError",
    "InputValidationError",
    "LoadError",
    "MockLLMError",
    "MockServerError",
    "MutationError",
    "ProxyError",
    "ReportError",
    "ScenarioError",
    "ScriptError",
    "StackError",
    "TrialsError",
    "UnscriptedCallError",
]


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""

    code = "harness_error"


class ConfigError(HarnessError, ValueError):
    """A setting has a bad value; the message names the setting."""

    code = "config_error"


class InputValidationError(HarnessError, ValueError):
    """A query was rejected (empty, too long, control characters...)."""

    code = "invalid_input"


class MockLLMError(HarnessError):
    code = "mock_llm"


class ScriptError(MockLLMError, ValueError):
    """A mock LLM script is malformed."""


class UnscriptedCallError(MockLLMError, AssertionError):
    """The system made an LLM call that no script matched."""


class CassetteError(MockLLMError, ValueError):
    """A cassette cannot be read, written or recorded into; the message names the file and the fix."""

    code = "cassette_error"


class CassetteMissError(UnscriptedCallError):
    """A request matched no recording of the cassette: the system's request drifted (the message
    holds a diff against the nearest recording), or the test asks something never recorded."""


class ProxyError(HarnessError):
    """The embedded Toxiproxy-compatible server failed: a port, a config file, a toxic."""

    code = "proxy_error"


class StackError(HarnessError):
    """A stack process could not start, never became healthy, or a port was taken."""

    code = "stack"


class MockServerError(HarnessError):
    """The mock LLM server failed: a port, a config file, a fault rule, a latency profile."""

    code = "mock_server_error"


class ScenarioError(HarnessError, ValueError):
    """A labelled scenario file is malformed; the message names the file, line and field."""

    code = "scenario_error"


class LoadError(HarnessError, ValueError):
    """A load run could not run: a bad profile or SLA table (named), or Locust failed to start."""

    code = "load_error"


class ChaosError(HarnessError):
    """A chaos run could not inject or roll back a fault, or could not reach its stack."""

    code = "chaos_error"


class ExperimentError(ChaosError, ValueError):
    """A chaos experiment file is invalid; the message names the file, the field and what is allowed."""

    code = "experiment_error"


class ReportError(HarnessError, ValueError):
    """The release report, the gate or compare has no usable input: a missing or corrupt
    summary, a reports folder that is not one; the message names the file."""

    code = "report_error"


class TrialsError(HarnessError, ValueError):
    """`harness trials` cannot run (a repeat below pass^k's k, no scenarios), or its file is unusable."""

    code = "trials_error"


class MutationError(HarnessError):
    """`harness mutate` cannot run, or cannot trust a run: the message names what and the fix."""

    code = "mutation_error"
