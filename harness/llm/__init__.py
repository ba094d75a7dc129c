"""A scripted, in-process mock of the OpenAI chat-completions API, on respx.

    from harness.llm import MockLLM, Reply, faults

    with MockLLM() as llm:                                   # or `async with`, or the
        llm.agent("supervisor").return_value = "billing"     # `mock_llm` pytest fixture
        llm.model("gpt-4o").side_effect = [faults.Timeout(), "ok"]
        ...  # run the system: any httpx client, or the openai SDK given an httpx client
        llm.agent("supervisor").assert_called_once()

Agents are named by the `X-Harness-Agent` request header (`AGENT_HEADER`); systems that
do not send it can script by model or prompt. A call no script answers fails the test.
"""

from . import faults
from ._call import AGENT_HEADER, Call, message_text
from ._mock import DEFAULT_BASE_URL, UNSCRIPTED_STATUS, MockLLM
from ._reply import Reply, ToolCall, Usage
from ._route import Route

__all__ = [
    "AGENT_HEADER",
    "DEFAULT_BASE_URL",
    "UNSCRIPTED_STATUS",
    "Call",
    "MockLLM",
    "Reply",
    "Route",
    "ToolCall",
    "Usage",
    "faults",
    "message_text",
]
