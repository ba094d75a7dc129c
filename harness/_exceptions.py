"""The one exception tree of the harness and of the reference system.

    HarnessError
    ├── ConfigError                 a setting has a bad value (names the setting)
    ├── InputValidationError        a query was rejected before any agent ran
    ├── LLMError                    an LLM call failed (carries .agent, .model)
    │   ├── TransientLLMError       worth a retry: timeout, connection, 429, 5xx, malformed body
    │   │   ├── LLMTimeoutError
    │   │   ├── LLMConnectionError
    │   │   ├── LLMRateLimitedError (429; .retry_after)
    │   │   ├── LLMServerError      (5xx; .status_code, .retry_after)
    │   │   └── LLMMalformedResponseError
    │   └── PermanentLLMError       not worth a retry: 4xx other than 429
    ├── ResilienceError             a guard refused the call before it was made
    │   ├── CircuitOpenError        (.agent, .retry_in)
    │   ├── RateLimitExceededError  (.agent)
    │   └── DeadlineExceededError   the request's deadline or an agent's budget ran out
    ├── OutputValidationError       an agent's answer broke its schema or a business rule
    ├── ScenarioError               a labelled scenario file is malformed (names file, line, field)
    ├── ProxyError                  the embedded Toxiproxy-compatible server failed
    ├── StackError                  a stack process failed to start or become healthy
    ├── ChaosError                  a chaos run could not inject, roll back or reach its stack
    │   └── ExperimentError         an experiment file is invalid (names file, field, allowed)
    ├── LoadError                   a load run could not run: a profile, an SLA table, Locust itself
    ├── ReportError                 the release report, gate or compare has no usable input
    └── MockLLMError
        ├── ScriptError             a mock LLM script is malformed (raised at setup)
        └── UnscriptedCallError     (also AssertionError) a call no script matched

Messages say what went wrong and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "ChaosError",
    "CircuitOpenError",
    "ConfigError",
    "DeadlineExceededError",
    "ExperimentError",
    "HarnessError",
    "InputValidationError",
    "LLMConnectionError",
    "LLMError",
    "LLMMalformedResponseError",
    "LLMRateLimitedError",
    "LLMServerError",
    "LLMTimeoutError",
    "LoadError",
    "MockLLMError",
    "OutputValidationError",
    "PermanentLLMError",
    "ProxyError",
    "RateLimitExceededError",
    "ReportError",
    "ResilienceError",
    "ScenarioError",
    "ScriptError",
    "StackError",
    "TransientLLMError",
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


class LLMError(HarnessError):
    """An LLM call failed."""

    code = "llm_error"

    def __init__(self, message: str, *, agent: str | None = None, model: str | None = None):
        super().__init__(message)
        self.agent = agent
        self.model = model


class TransientLLMError(LLMError):
    """A failure that a retry may cure."""

    code = "llm_transient"
    retry_after: float | None = None


class LLMTimeoutError(TransientLLMError):
    code = "llm_timeout"


class LLMConnectionError(TransientLLMError):
    code = "llm_connection"


class LLMMalformedResponseError(TransientLLMError):
    code = "llm_malformed"


class _StatusError(TransientLLMError):
    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        retry_after: float | None = None,
        agent: str | None = None,
        model: str | None = None,
    ):
        super().__init__(message, agent=agent, model=model)
        self.status_code = status_code
        self.retry_after = retry_after


class LLMRateLimitedError(_StatusError):
    code = "llm_429"


class LLMServerError(_StatusError):
    code = "llm_5xx"


class PermanentLLMError(LLMError):
    code = "llm_permanent"

    def __init__(self, message: str, *, status_code: int | None = None, **kw: str | None):
        super().__init__(message, **kw)
        self.status_code = status_code


class ResilienceError(HarnessError):
    """A resilience guard refused or cut a call."""

    code = "resilience"

    def __init__(self, message: str, *, agent: str | None = None):
        super().__init__(message)
        self.agent = agent


class CircuitOpenError(ResilienceError):
    code = "circuit_open"

    def __init__(self, message: str, *, agent: str | None = None, retry_in: float = 0.0):
        super().__init__(message, agent=agent)
        self.retry_in = retry_in


class RateLimitExceededError(ResilienceError):
    code = "rate_limited"


class DeadlineExceededError(ResilienceError):
    code = "deadline_exceeded"


class OutputValidationError(HarnessError):
    """An agent's structured answer broke its schema or a business rule."""

    code = "invalid_output"


class MockLLMError(HarnessError):
    code = "mock_llm"


class ScriptError(MockLLMError, ValueError):
    """A mock LLM script is malformed."""


class UnscriptedCallError(MockLLMError, AssertionError):
    """The system made an LLM call that no script matched."""


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
