"""An optional LLM judge (deepeval GEval) on any OpenAI-compatible endpoint.

Configured by `HARNESS_JUDGE_BASE_URL`, `HARNESS_JUDGE_MODEL` and `HARNESS_JUDGE_API_KEY`;
without them, `judge_or_skip_reason()` says why the judge cannot run, and tests skip with it.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import openai
from deepeval.metrics import GEval
from deepeval.models import DeepEvalBaseLLM
from deepeval.test_case import SingleTurnParams

__all__ = ["OpenAICompatibleJudge", "helpfulness_judge", "judge_or_skip_reason"]


class OpenAICompatibleJudge(DeepEvalBaseLLM):  # type: ignore[misc]
    """deepeval's model interface over the openai SDK with an explicit httpx client."""

    def __init__(self, base_url: str, model: str, api_key: str = "not-needed") -> None:
        self.base_url, self.model_name, self.api_key = base_url, model, api_key

    def load_model(self) -> Any:
        return openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=self.api_key,
            http_client=httpx.AsyncClient(timeout=60),  # type: ignore[arg-type]
            max_retries=1,
        )

    async def a_generate(self, prompt: str, *args: Any, **kwargs: Any) -> str:
        client = self.load_model()
        try:
            reply = await client.chat.completions.create(
                model=self.model_name, temperature=0, messages=[{"role": "user", "content": prompt}]
            )
        finally:
            await client.close()
        return reply.choices[0].message.content or ""

    def generate(self, prompt: str, *args: Any, **kwargs: Any) -> str:
        import asyncio

        return asyncio.run(self.a_generate(prompt))

    def get_model_name(self) -> str:
        return self.model_name


def judge_or_skip_reason() -> tuple[OpenAICompatibleJudge | None, str]:
    base_url, model = os.environ.get("HARNESS_JUDGE_BASE_URL"), os.environ.get("HARNESS_JUDGE_MODEL")
    if not base_url or not model:
        return None, (
            "no LLM judge configured: set HARNESS_JUDGE_BASE_URL and HARNESS_JUDGE_MODEL "
            "(and HARNESS_JUDGE_API_KEY) to an OpenAI-compatible endpoint"
        )
    return OpenAICompatibleJudge(base_url, model, os.environ.get("HARNESS_JUDGE_API_KEY", "not-needed")), ""


def helpfulness_judge(judge: OpenAICompatibleJudge, threshold: float = 0.6) -> GEval:
    return GEval(
        name="Helpfulness",
        criteria="Does the actual output address the customer's input helpfully, politely and without "
        "inventing account details? An escalation to a human with a reference number is acceptable.",
        evaluation_params=[SingleTurnParams.INPUT, SingleTurnParams.ACTUAL_OUTPUT],
        model=judge,
        threshold=threshold,
    )
