"""The control API: faults and latency at run time, stats, reset."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness.llm.server import BUILTIN_PROFILES

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "my invoice"}]}


async def _chat(http: httpx.AsyncClient, agent: str = "supervisor") -> httpx.Response:
    return await http.post("/v1/chat/completions", json=CHAT, headers={"X-Harness-Agent": agent})


async def test_put_get_delete_faults(http: httpx.AsyncClient) -> None:
    assert (await http.get("/_control/faults")).json() == {"seed": 0, "faults": [], "counts": []}
    rule = {"kind": "status", "probability": 1.0, "status": 502, "target": {"agent": ["supervisor"]}}
    put = await http.put("/_control/faults", json={"seed": 3, "faults": [rule]})
    fresh = [{"eligible": 0, "fired": 0}]
    assert put.status_code == 200 and put.json() == {"seed": 3, "faults": [rule], "counts": fresh}
    assert (await _chat(http)).status_code == 502
    assert (await _chat(http, "billing_support")).status_code == 200
    # The billing call was not the rule's target: counted neither as eligible nor as fired.
    assert (await http.get("/_control/faults")).json()["counts"] == [{"eligible": 1, "fired": 1}]
    assert (await http.delete("/_control/faults")).json() == {"seed": 3, "faults": [], "counts": []}
    assert (await _chat(http)).status_code == 200


async def test_put_faults_takes_a_bare_list_and_keeps_the_seed(http: httpx.AsyncClient) -> None:
    response = await http.put("/_control/faults", json=[{"kind": "empty", "probability": 1}])
    assert response.json()["seed"] == 0
    assert (await _chat(http)).json()["choices"][0]["message"]["content"] == ""


async def test_bad_fault_updates_are_400s_naming_the_field(http: httpx.AsyncClient) -> None:
    before = (await http.get("/_control/faults")).json()
    cases: list[tuple[Any, str]] = [
        (
            [{"kind": "status", "probability": 1.5}],
            "faults[0].probability: Input should be less than or equal to 1",
        ),
        ([{"kind": "melt", "probability": 1}], "faults[0].kind: Input should be 'status', 'hang'"),
        ([{"kind": "empty", "probability": 1, "status": 500}], "'status' only applies to kind 'status'"),
        ([{"kind": "status", "probability": 1, "status": 200}], "faults[0].status: Input should be greater"),
        ([{"kind": "empty", "probability": 1, "target": {"agnet": "x"}}], "faults[0].target.agnet: Extra"),
        ({"faults": [], "colour": "red"}, "colour: Extra inputs are not permitted"),
    ]
    for body, expected in cases:
        response = await http.put("/_control/faults", json=body)
        assert response.status_code == 400, body
        message = response.json()["error"]["message"]
        assert message.startswith("PUT /_control/faults: ") and expected in message, message
    not_json = await http.put("/_control/faults", content=b"{oops")
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["error"]["message"]
    assert (await http.get("/_control/faults")).json() == before  # nothing half-applied


async def test_latency_get_and_put(http: httpx.AsyncClient) -> None:
    got = (await http.get("/_control/latency")).json()
    assert got["default"] == "zero" and set(got["builtin"]) == set(BUILTIN_PROFILES)
    new = {
        "default": "fast",
        "models": {"gpt-4o": "mine"},
        "profiles": {"mine": {"kind": "fixed", "ttft_median_ms": 1, "per_token_ms": 0}},
    }
    put = (await http.put("/_control/latency", json=new)).json()
    assert put["default"] == "fast" and put["models"] == {"gpt-4o": "mine"}
    assert put["profiles"]["mine"]["kind"] == "fixed"
    assert (await _chat(http)).status_code == 200  # 1 ms, still answers
    bad = await http.put("/_control/latency", json={"default": "warp"})
    assert bad.status_code == 400
    message = bad.json()["error"]["message"]
    assert "unknown latency profile 'warp'; known: fast, realistic, slow, zero" in message


async def test_stats_count_requests_agents_models_and_faults(http: httpx.AsyncClient) -> None:
    await http.put(
        "/_control/faults",
        json=[
            {"kind": "status", "probability": 1, "status": 503, "target": {"agent": "billing_support"}},
            {"kind": "empty", "probability": 1, "target": {"agent": "general_support"}},
        ],
    )
    for agent in ("supervisor", "supervisor", "billing_support", "general_support"):
        await _chat(http, agent)
    await http.post("/v1/chat/completions", json=CHAT | {"stream": True})
    stats = (await http.get("/_control/stats")).json()
    assert stats["completions"] == 5 and stats["streams"] == 1
    assert stats["by_agent"] == {"supervisor": 2, "billing_support": 1, "general_support": 1, "(none)": 1}
    assert stats["by_model"] == {"gpt-4o": 5}
    assert stats["faults"] == {"status": 1, "empty": 1} and stats["faults_total"] == 2
    assert stats["faults_by_rule"] == [1, 1]
    assert stats["requests"] == 7  # the PUT and the five chats, and this GET


async def test_reset_restores_the_startup_config_and_zeroes_counts(make_server: Any) -> None:
    rule = {"kind": "status", "probability": 0.5}
    server = make_server(seed=11, faults=[rule])
    async with httpx.AsyncClient(base_url=server.url) as http:
        first = [(await _chat(http)).status_code for _ in range(20)]
        await http.put("/_control/faults", json={"seed": 99, "faults": []})
        await http.put("/_control/latency", json={"default": "fast"})
        assert (await http.post("/_control/reset")).json() == {"status": "reset"}
        assert (await http.get("/_control/faults")).json() == {
            "seed": 11,
            "faults": [rule | {"target": {}}],
            "counts": [{"eligible": 0, "fired": 0}],  # fresh counts too
        }
        assert (await http.get("/_control/latency")).json()["default"] == "zero"
        assert (await http.get("/_control/stats")).json()["completions"] == 0
        again = [(await _chat(http)).status_code for _ in range(20)]
    assert first == again and 503 not in first and 500 in first and 200 in first
