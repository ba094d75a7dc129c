"""The help desk over HTTP: `POST /ask {"query"}` -> `{"route", "answer", "tool_calls"}`, `GET /healthz`.

python -m handoff_desk.api --port 8100
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from . import build_graph
from ._tracing import instrument

__all__ = ["Question", "answer", "app"]

_HANDOFF = "transfer_to_"


class Question(BaseModel):
    query: str = Field(min_length=1, max_length=4000)


def answer(state: dict[str, Any]) -> dict[str, Any]:
    """The reply for a finished conversation: who answered, what, and which tools they used."""
    messages = state["messages"]
    calls = [c["name"] for m in messages for c in (getattr(m, "tool_calls", None) or [])]
    handoffs = [c.removeprefix(_HANDOFF) for c in calls if c.startswith(_HANDOFF)]
    return {
        "route": handoffs[-1] if handoffs else "supervisor",
        "answer": str(messages[-1].content),
        "tool_calls": [c for c in calls if not c.startswith((_HANDOFF, "transfer_back_to_"))],
    }


_graph: Any = None
_tracer_provider: Any = None


@asynccontextmanager
async def _lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield
    if _tracer_provider is not None:  # the last batch of spans, before the process ends
        _tracer_provider.shutdown()


app = FastAPI(title="handoff desk", lifespan=_lifespan)
_tracer_provider = instrument(app)


@app.post("/ask")
async def ask(question: Question) -> dict[str, Any]:
    global _graph
    _graph = _graph or build_graph()
    return answer(await _graph.ainvoke({"messages": [("user", question.query)]}))


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
