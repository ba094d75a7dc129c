"""LLM access: the openai SDK against any OpenAI-compatible `base_url`, errors mapped to our tree.

The SDK gets an explicit `httpx.AsyncClient`: openai 3.x would otherwise send through httpx2, which
respx (and so `harness.llm.MockLLM`) cannot see. SDK retries are off; ours are per agent and
honour our budgets. Every request carries `X-Harness-Agent` so a mock can script agents by name.
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai
from openai.types.chat import ChatCompletion

from .._exceptions import (
    LLMConnectionError,
    LLMError,
    LLMMalformedResponseError,
    LLMRateLimitedError,
    LLMServerError,
    LLMTimeoutError,
    PermanentLLMError,
)

__all__ = ["Completion", "LLMClient"]


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~30 ms; one context serves every client of the process.
    return ssl.create_default_context()


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    tokens_in: int
    tokens_out: int
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


class LLMClient:
    """One chat-completions call at a time, with our error tree."""

    def __init__(self, base_url: str, api_key: str, *, http_client: httpx.AsyncClient | None = None) -> None:
        self._own_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            verify=_tls_context(),
        )
        # openai 3.x annotates httpx2's client, but accepts httpx's (the one respx can see).
        self._sdk = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key,
            http_client=self._http,  # type: ignore[arg-type]
            max_retries=0,
        )

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def complete(
        self,
        *,
        agent: str,
        model: str,
        messages: list[dict[str, str]],
        temperature: float,
        timeout: float,
    ) -> Completion:
        try:
            # The SDK's generic `post` rather than `chat.completions.create`: the latter walks the
            # messages through its TypedDict transform, ~3 ms of CPU per call for plain dicts.
            result: Any = await self._sdk.post(
                "/chat/completions",
                cast_to=ChatCompletion,
                body={"model": model, "messages": messages, "temperature": temperature},
                options={"headers": {"X-Harness-Agent": agent}, "timeout": timeout},
            )
        except openai.APIError as exc:
            raise _map_error(exc, agent=agent, model=model) from exc
        except ValueError as exc:
            # A body announced as JSON that does not parse escapes the SDK's own error tree.
            raise LLMMalformedResponseError(
                f"{agent} ({model}): the LLM's reply is not valid JSON: {exc}", agent=agent, model=model
            ) from exc
        return _to_completion(result, agent=agent, model=model)


def _to_completion(result: Any, *, agent: str, model: str) -> Completion:
    # The SDK hands back the raw text when the body was not JSON.
    choices = getattr(result, "choices", None)
    if not choices:
        raise LLMMalformedResponseError(
            f"{agent} ({model}): the LLM's reply was not a chat completion: {str(result)[:80]!r}",
            agent=agent,
            model=model,
        )
    message = choices[0].message
    usage = getattr(result, "usage", None)
    calls = [
        {"name": c.function.name, "arguments": c.function.arguments}
        for c in (message.tool_calls or [])
        if getattr(c, "function", None) is not None
    ]
    return Completion(
        text=message.content or "",
        model=getattr(result, "model", None) or model,
        tokens_in=int(getattr(usage, "prompt_tokens", 0) or 0),
        tokens_out=int(getattr(usage, "completion_tokens", 0) or 0),
        tool_calls=calls,
    )


def _retry_after(response: Any) -> float | None:
    if response is None:
        return None
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from LLM APIs; fall back to our backoff


def _map_error(exc: openai.APIError, *, agent: str, model: str) -> LLMError:
    where = f"{agent} ({model})"
    if isinstance(exc, openai.APITimeoutError):
        return LLMTimeoutError(f"{where}: LLM call timed out", agent=agent, model=model)
    if isinstance(exc, openai.APIConnectionError):
        return LLMConnectionError(f"{where}: cannot reach the LLM: {exc}", agent=agent, model=model)
    if isinstance(exc, openai.APIStatusError):
        status, after = exc.status_code, _retry_after(exc.response)
        if status == 429:
            return LLMRateLimitedError(
                f"{where}: LLM rate limit (429)",
                status_code=429,
                retry_after=after,
                agent=agent,
                model=model,
            )
        if status >= 500:
            return LLMServerError(
                f"{where}: LLM server error {status}",
                status_code=status,
                retry_after=after,
                agent=agent,
                model=model,
            )
        return PermanentLLMError(
            f"{where}: LLM refused the request ({status}): {exc.message}",
            status_code=status,
            agent=agent,
            model=model,
        )
    if isinstance(exc, openai.APIResponseValidationError):
        return LLMMalformedResponseError(f"{where}: malformed LLM reply", agent=agent, model=model)
    return PermanentLLMError(f"{where}: {exc}", agent=agent, model=model)
