"""A help desk built with langgraph-supervisor: a supervisor hands each question to a billing or a
tech agent with `transfer_to_*` tool calls; the agents answer with tools of their own. Its LLM is
langchain-openai's `ChatOpenAI`, configured the usual way (`OPENAI_BASE_URL`, `OPENAI_API_KEY`).

It knows nothing of the harness: it is the second example system, of another shape than the
reference (tool-call handoffs, a `messages`-only state, its own HTTP API and vocabulary, no audit
log), tested through every tier from its own folder with a few lines of declaration.

    from handoff_desk import build_graph
    reply = await build_graph().ainvoke({"messages": [("user", "Where is my invoice?")]})
"""

from __future__ import annotations

import os
from typing import Any

from ._tools import issue_refund, lookup_invoice, search_docs

__all__ = ["AGENTS", "build_graph", "issue_refund", "lookup_invoice", "search_docs"]

#: Each agent's instructions: what makes its LLM calls its own.
AGENTS = {
    "supervisor": "You are the supervisor of a help desk. Hand each question to the agent for it: "
    "billing for invoices, charges and refunds; tech for the app, logins and errors.",
    "billing": "You are the billing agent of a help desk. Look invoices up before you answer; refund "
    "only what the invoice shows was charged twice.",
    "tech": "You are the tech agent of a help desk. Search the docs before you answer.",
}


def _model() -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=os.environ.get("HANDOFF_DESK_MODEL", "gpt-4o-mini"), temperature=0)


def build_graph(model: Any = None) -> Any:
    """The compiled supervisor graph: supervisor -> billing | tech -> supervisor -> end."""
    from langgraph.prebuilt import create_react_agent
    from langgraph_supervisor import create_supervisor

    model = model or _model()
    billing = create_react_agent(
        model, tools=[lookup_invoice, issue_refund], name="billing", prompt=AGENTS["billing"]
    )
    tech = create_react_agent(model, tools=[search_docs], name="tech", prompt=AGENTS["tech"])
    # The whole history: the agents' own tool calls stay in the conversation the API reports on.
    supervisor = create_supervisor(
        [billing, tech], model=model, prompt=AGENTS["supervisor"], output_mode="full_history"
    )
    return supervisor.compile()
