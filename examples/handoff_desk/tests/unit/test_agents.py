"""Each agent of the help desk with a scripted LLM: the default ChatOpenAI, no header, no server."""

import sys

import pytest
import uvicorn
from fastapi.testclient import TestClient

from handoff_desk import build_graph, issue_refund, lookup_invoice, search_docs
from handoff_desk.api import app, main
from harness import MockLLM, Reply, ToolCall


def hand_to(agent: str) -> Reply:
    return Reply(tool_calls=[ToolCall(f"transfer_to_{agent}", {})])


async def test_the_supervisor_hands_an_invoice_question_to_billing(mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").side_effect = [hand_to("billing"), "INV-1002 was charged twice."]
    mock_llm.agent("billing").side_effect = [
        Reply(tool_calls=[ToolCall("lookup_invoice", {"invoice_id": "INV-1002"})]),
        "INV-1002 was charged twice.",
    ]
    state = await build_graph().ainvoke({"messages": [("user", "Was INV-1002 charged twice?")]})
    assert state["messages"][-1].content == "INV-1002 was charged twice."
    # The tool's result reached the billing agent's second call.
    assert "charged 2 time(s)" in str(mock_llm.agent("billing").calls[-1].messages)
    assert mock_llm.agent("tech").call_count == 0


async def test_the_tech_agent_searches_the_docs_before_answering(mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").side_effect = [hand_to("tech"), "Reset it from the sign-in page."]
    mock_llm.agent("tech").side_effect = [
        Reply(tool_calls=[ToolCall("search_docs", {"query": "login"})]),
        "Reset it from the sign-in page.",
    ]
    await build_graph().ainvoke({"messages": [("user", "I cannot log in")]})
    assert "two-factor codes expire" in str(mock_llm.agent("tech").calls[-1].messages)


def test_the_api_reports_route_answer_and_tools(mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").side_effect = [hand_to("billing"), "Refunded."]
    mock_llm.agent("billing").side_effect = [
        Reply(tool_calls=[ToolCall("issue_refund", {"invoice_id": "INV-1002", "amount": 19.9})]),
        "Refunded.",
    ]
    with TestClient(app) as client:
        reply = client.post("/ask", json={"query": "Refund the double charge on INV-1002"}).json()
        assert client.post("/ask", json={"query": ""}).status_code == 422
        assert client.get("/healthz").json() == {"status": "ok"}
    assert reply == {"route": "billing", "answer": "Refunded.", "tool_calls": ["issue_refund"]}


def test_a_question_for_no_agent_is_answered_by_the_supervisor(mock_llm: MockLLM) -> None:
    mock_llm.agent("supervisor").return_value = "We only help with billing and the app."
    with TestClient(app) as client:
        reply = client.post("/ask", json={"query": "What is the weather?"}).json()
    assert reply == {
        "route": "supervisor",
        "answer": "We only help with billing and the app.",
        "tool_calls": [],
    }
    assert mock_llm.agent("billing").call_count == 0 and mock_llm.agent("tech").call_count == 0


def test_the_tools_refuse_what_the_back_office_does_not_show() -> None:
    assert lookup_invoice("inv-1001") == "inv-1001: 42.00 EUR, paid, charged 1 time(s)"
    assert lookup_invoice("INV-9") == "no invoice INV-9"
    assert issue_refund("INV-1001", 42).startswith("refused")
    assert issue_refund("INV-1002", 500) == "refunded 19.90 EUR on INV-1002"
    assert search_docs("export my data").startswith("Exports are under")
    assert search_docs("weather") == "no article matches"


def test_the_command_line_serves_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(kw, app=app))
    monkeypatch.setattr(sys, "argv", ["handoff_desk.api", "--port", "8123"])
    main()
    assert served["app"] is app and (served["host"], served["port"]) == ("127.0.0.1", 8123)
