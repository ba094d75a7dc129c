"""The reference system's own errors, below the harness's `InputValidationError` for rejected input.

    SupportDeskError
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
    └── ServiceError                the HTTP service could not run (a worker died before it was ready)

A query the system refuses raises `harness.InputValidationError`, which the harness's adapters
read as a rejection; settings errors are the harness's `ConfigError` (from its settings base).
"""

from __future__ import annotations

__all__ = [
    "CircuitOpenError",
    "DeadlineExceededError",
    "LLMConnectionError",
    "LLMError",
    "LLMMalformedResponseError",
    "LLMRateLimitedError",
    "LLMServerError",
    "LLMTimeoutError",
    "OutputValidationError",
    "PermanentLLMError",
    "RateLimitExceededError",
    "ResilienceError",
    "ServiceError",
    "SupportDeskError",
    "TransientLLMError",
]


class SupportDeskError(Exception):
    """Base of the reference system's own errors; `code` is what logs and the audit record."""

    code = "support_desk_error"


class LLMError(SupportDeskError):
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


class ResilienceError(SupportDeskError):
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


class OutputValidationError(SupportDeskError):
    """An agent's structured answer broke its schema or a business rule."""

    code = "invalid_output"


class ServiceError(SupportDeskError):
    """The reference service could not run: a worker died before it was ready."""

    code = "service_error"
