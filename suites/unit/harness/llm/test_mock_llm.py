"""MockLLM: routing, replies, side effects, recorded calls, assertions and lifecycle.

Most tests go through the real openai SDK (given an explicit httpx client), the way a
system under test would; a few use plain httpx to see the wire.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import openai
import pydantic
import pytest
import respx

from harness._exceptions import ScriptError, UnscriptedCallError
from harness.llm import (
    AGENT_HEADER,
    UNSCRIPTED_STATUS,
    Call,
    MockLLM,
    Reply,
    ToolCall,
    Usage,
)

pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

Ask = Callable[..., Awaitable[Any]]  # the `ask` fixture from conftest
CHAT = "http://llm.test/v1/chat/completions"


def _body(text: str, model: str = "gpt-4o-mini") -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


# -- routing ----------------------------------------------------------------------------------


async def test_agent_route_answers_with_string_content(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.agent("supervisor").return_value = "billing_support"

    result = await ask("I was charged twice", agent="supervisor")

    assert result.choices[0].message.content == "billing_support"
    assert result.choices[0].finish_reason == "stop"
    assert result.object == "chat.completion"


async def test_dict_and_list_replies_are_json_content(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.agent("billing").return_value = {"answer": "Paid.", "confidence": 0.9}
    mock_llm.agent("tags").return_value = ["refund", "card"]

    billing = await ask("status?", agent="billing")
    tags = await ask("tags?", agent="tags")

    assert json.loads(billing.choices[0].message.content or "") == {
        "answer": "Paid.",
        "confidence": 0.9,
    }
    assert json.loads(tags.choices[0].message.content or "") == ["refund", "card"]


async def test_model_route_matches_requested_model(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.model("gpt-4o").return_value = "big"
    mock_llm.model("gpt-4o-mini").return_value = "small"

    assert (await ask("hi", model="gpt-4o")).choices[0].message.content == "big"
    assert (await ask("hi", model="gpt-4o-mini")).choices[0].message.content == "small"


async def test_prompt_regex_searches_every_message(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.prompt(r"refund|reembolso").return_value = "refund flow"
    mock_llm.default.return_value = "other"

    in_system = await ask("hola", system="Handle reembolso requests")
    in_user = await ask("I want a refund")
    neither = await ask("hello")

    assert in_system.choices[0].message.content == "refund flow"
    assert in_user.choices[0].message.content == "refund flow"
    assert neither.choices[0].message.content == "other"


async def test_compiled_pattern_keeps_its_flags(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.prompt(re.compile("REFUND", re.IGNORECASE)).return_value = "refund flow"

    assert (await ask("a refund please")).choices[0].message.content == "refund flow"


async def test_combined_route_needs_every_criterion(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.route(agent="billing", model="gpt-4o", prompt="invoice").return_value = "exact"
    mock_llm.default.return_value = "fallback"

    assert (await ask("my invoice", agent="billing", model="gpt-4o")).choices[0].message.content == "exact"
    assert (await ask("my invoice", agent="billing")).choices[0].message.content == "fallback"
    assert (await ask("hi", agent="billing", model="gpt-4o")).choices[0].message.content == "fallback"


async def test_first_created_route_wins(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.agent("billing").return_value = "by agent"
    mock_llm.prompt("refund").return_value = "by prompt"

    result = await ask("refund", agent="billing")

    assert result.choices[0].message.content == "by agent"
    mock_llm.prompt("refund").assert_not_called()


async def test_default_is_tried_last(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.return_value = "fallback text"
    mock_llm.agent("supervisor").return_value = "route"

    assert (await ask("x", agent="supervisor")).choices[0].message.content == "route"
    assert (await ask("x", agent="someone")).choices[0].message.content == "fallback text"
    mock_llm.default.assert_called_once()


def test_same_criteria_give_the_same_route(mock_llm: MockLLM) -> None:
    assert mock_llm.agent("a") is mock_llm.agent("a")
    assert mock_llm.agent("a") is mock_llm.route(agent="a")
    assert mock_llm.prompt("x") is not mock_llm.prompt(re.compile("x", re.I))
    assert mock_llm.routes == [
        mock_llm.agent("a"),
        mock_llm.prompt("x"),
        mock_llm.prompt(re.compile("x", re.I)),
    ]


def test_route_without_criteria_is_a_script_error(mock_llm: MockLLM) -> None:
    with pytest.raises(ScriptError, match=r"llm\.default"):
        mock_llm.route()


async def test_route_without_a_script_is_skipped(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.agent("billing")  # created for an assertion only: must not shadow the default
    mock_llm.default.return_value = "fallback"

    assert (await ask("x", agent="billing")).choices[0].message.content == "fallback"
    mock_llm.agent("billing").assert_not_called()


# -- replies ----------------------------------------------------------------------------------


async def test_reply_usage_reaches_the_sdk(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.prompt("refund").return_value = Reply(
        content="ok", usage=Usage(prompt_tokens=50, completion_tokens=20)
    )

    usage = (await ask("refund")).usage

    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (50, 20, 70)


async def test_usage_is_estimated_at_about_four_chars_per_token(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.return_value = "x" * 40

    usage = (await ask("y" * 400)).usage

    assert usage is not None
    assert usage.prompt_tokens == 100
    assert usage.completion_tokens == 10
    assert usage.total_tokens == 110


async def test_tool_calls_parse_in_the_sdk(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.agent("x").return_value = Reply(
        tool_calls=[ToolCall(name="lookup", arguments={"id": 1}), ToolCall("refund", "{}")]
    )

    choice = (await ask("find order 1", agent="x")).choices[0]

    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls or []
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [  # type: ignore[union-attr]
        ("lookup", {"id": 1}),
        ("refund", {}),
    ]
    assert len({c.id for c in calls}) == 2


async def test_bare_tool_call_is_a_reply(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.return_value = ToolCall("lookup", {"id": 7}, id="call_7")

    calls = (await ask("x")).choices[0].message.tool_calls or []

    assert [c.id for c in calls] == ["call_7"]


async def test_reply_can_claim_a_model_and_finish_reason(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.return_value = Reply(content="cut", finish_reason="length", model="gpt-4o-2024-08-06")

    result = await ask("x", model="gpt-4o")

    assert result.model == "gpt-4o-2024-08-06"
    assert result.choices[0].finish_reason == "length"


async def test_response_echoes_the_requested_model(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.return_value = "ok"

    assert (await ask("x", model="llama-3.1-8b")).model == "llama-3.1-8b"


class _Answer(pydantic.BaseModel):
    answer: str
    confidence: float


async def test_pydantic_model_reply_is_json_content(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.return_value = _Answer(answer="Paid.", confidence=0.9)

    content = (await ask("x")).choices[0].message.content or ""

    assert _Answer.model_validate_json(content) == _Answer(answer="Paid.", confidence=0.9)


@pytest.mark.parametrize("bad", [42, 3.5, b"bytes", object(), {1, 2}])
def test_unscriptable_return_value_fails_at_setup(mock_llm: MockLLM, bad: object) -> None:
    with pytest.raises(ScriptError, match="cannot script a reply"):
        mock_llm.default.return_value = bad


def test_bad_item_in_side_effect_list_fails_at_setup(mock_llm: MockLLM) -> None:
    with pytest.raises(ScriptError):
        mock_llm.default.side_effect = ["ok", 42]


def test_reply_rejects_bad_fields() -> None:
    with pytest.raises(ScriptError):
        Reply(content=42)  # type: ignore[arg-type]
    with pytest.raises(ScriptError):
        Reply(tool_calls=[{"name": "x"}])  # type: ignore[list-item]
    with pytest.raises(ScriptError):
        Usage(prompt_tokens=-1, completion_tokens=0)


# -- side effects -----------------------------------------------------------------------------


async def test_side_effect_sequence_gives_one_item_per_call(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.model("gpt-4o").side_effect = ["first", {"n": 2}, Reply(content="third")]

    answers = [(await ask("x", model="gpt-4o")).choices[0].message.content for _ in range(3)]

    assert answers == ["first", '{"n": 2}', "third"]


async def test_exhausted_sequence_fails_the_call_and_the_test(ask: Ask) -> None:
    with pytest.raises(UnscriptedCallError, match=r"exhausted after 1 call") as info:
        async with MockLLM() as llm:
            llm.model("gpt-4o").side_effect = ["only one"]
            await ask("x", model="gpt-4o")
            with pytest.raises(openai.APIStatusError) as http_error:
                await ask("again", model="gpt-4o")
            assert http_error.value.status_code == UNSCRIPTED_STATUS

    assert "<Route model='gpt-4o'>" in str(info.value)
    assert "'again'" in str(info.value)


async def test_endless_iterator_side_effect(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.side_effect = itertools.cycle(["a", "b"])

    answers = [(await ask("x")).choices[0].message.content for _ in range(5)]

    assert answers == ["a", "b", "a", "b", "a"]


async def test_callable_side_effect_gets_the_call(mock_llm: MockLLM, ask: Ask) -> None:
    seen: list[Call] = []

    def shout(call: Call) -> Reply:
        seen.append(call)
        return Reply(content=call.last_user_message.upper())

    mock_llm.agent("general_support").side_effect = shout

    result = await ask("where is my order", agent="general_support")

    assert result.choices[0].message.content == "WHERE IS MY ORDER"
    assert seen == mock_llm.agent("general_support").calls


async def test_callable_returning_none_falls_back_to_return_value(mock_llm: MockLLM, ask: Ask) -> None:
    route = mock_llm.default
    route.return_value = "usual"
    route.side_effect = lambda call: "special" if "vip" in call.prompt else None

    assert (await ask("vip customer")).choices[0].message.content == "special"
    assert (await ask("regular")).choices[0].message.content == "usual"


async def test_side_effect_wins_over_return_value_until_cleared(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.return_value = "value"
    mock_llm.default.side_effect = ["effect"]

    assert (await ask("x")).choices[0].message.content == "effect"
    mock_llm.default.side_effect = None
    assert (await ask("x")).choices[0].message.content == "value"


async def test_exception_instance_is_raised_with_its_request(mock_llm: MockLLM) -> None:
    mock_llm.default.side_effect = httpx.ConnectError("refused")

    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError, match="refused") as info:
            await http.post(CHAT, json=_body("x"))

    assert info.value.request.url == CHAT


async def test_exception_class_maps_to_sdk_connection_error(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.side_effect = [httpx.ConnectError, "recovered"]

    with pytest.raises(openai.APIConnectionError):
        await ask("x")
    assert (await ask("x")).choices[0].message.content == "recovered"


async def test_assertion_in_side_effect_is_recorded_even_if_swallowed(ask: Ask) -> None:
    def check(call: Call) -> str:
        assert call.temperature == 0.0, "classifier must run at temperature 0"
        return "ok"

    with pytest.raises(UnscriptedCallError, match="temperature 0"):
        async with MockLLM() as llm:
            llm.default.side_effect = check
            # A careless system swallows the error; the mock still fails the test.
            with contextlib.suppress(AssertionError):
                await ask("x", temperature=0.7)


# -- recorded calls ---------------------------------------------------------------------------


async def test_call_exposes_the_request(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.agent("supervisor").return_value = "billing_support"

    await ask("I was charged twice", agent="supervisor", system="Route it.", temperature=0.2)

    call = mock_llm.agent("supervisor").calls[0]
    assert call.agent == "supervisor"
    assert call.model == "gpt-4o-mini"
    assert call.temperature == 0.2
    assert call.messages == [
        {"role": "system", "content": "Route it."},
        {"role": "user", "content": "I was charged twice"},
    ]
    assert call.prompt == "Route it.\nI was charged twice"
    assert call.last_user_message == "I was charged twice"
    assert isinstance(call.request, httpx.Request)
    assert call.request.headers[AGENT_HEADER] == "supervisor"
    assert call.route is mock_llm.agent("supervisor")
    assert call.response is not None and call.response.status_code == 200
    assert "supervisor" in repr(call)


async def test_calls_are_recorded_in_order_and_filtered(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.agent("supervisor").return_value = "billing"
    mock_llm.default.return_value = "answer"

    await ask("q1", agent="supervisor")
    await ask("q2", agent="billing", model="gpt-4o")
    await ask("q3", agent="supervisor")

    assert [c.last_user_message for c in mock_llm.calls] == ["q1", "q2", "q3"]
    assert [c.index for c in mock_llm.calls] == [0, 1, 2]
    assert [c.last_user_message for c in mock_llm.calls_for(agent="supervisor")] == ["q1", "q3"]
    assert [c.last_user_message for c in mock_llm.calls_for(model="gpt-4o")] == ["q2"]
    assert [c.last_user_message for c in mock_llm.calls_for(prompt=r"q[23]")] == ["q2", "q3"]


async def test_multimodal_text_parts_are_searched(mock_llm: MockLLM, client: openai.AsyncOpenAI) -> None:
    mock_llm.prompt("receipt").return_value = "seen"
    content = [
        {"type": "text", "text": "Here is my receipt"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]

    result = await client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": content}],  # type: ignore[list-item,misc]
    )

    assert result.choices[0].message.content == "seen"
    assert mock_llm.calls[0].last_user_message == "Here is my receipt"


# -- assertions -------------------------------------------------------------------------------


async def test_call_count_assertions(mock_llm: MockLLM, ask: Ask) -> None:
    route = mock_llm.agent("supervisor")
    route.return_value = "x"
    route.assert_not_called()

    await ask("a", agent="supervisor")
    route.assert_called()
    route.assert_called_once()
    await ask("b", agent="supervisor")

    route.assert_call_count(2)
    assert route.call_count == 2 and route.called
    assert route.last_call.last_user_message == "b"
    with pytest.raises(AssertionError, match=r"called 1 time\(s\), it was called 2"):
        route.assert_called_once()


async def test_failed_count_assertion_lists_the_calls(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.agent("billing").return_value = "unused"
    mock_llm.default.return_value = "x"
    await ask("my invoice", agent="biling")  # the typo a test would want to see

    with pytest.raises(AssertionError) as info:
        mock_llm.agent("billing").assert_called_once()

    message = str(info.value)
    assert "agent='biling'" in message and "'my invoice'" in message
    assert "<Route default>" in message


def test_last_call_of_an_uncalled_route_says_so(mock_llm: MockLLM) -> None:
    with pytest.raises(AssertionError, match=r"never called.*no calls"):
        _ = mock_llm.agent("x").last_call


async def test_assert_all_called_names_idle_routes(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.agent("supervisor").return_value = "x"
    mock_llm.agent("billing").return_value = "y"
    mock_llm.agent("only_for_assertions")  # not scripted: not required
    await ask("q", agent="supervisor")

    with pytest.raises(AssertionError, match=r"never called: <Route agent='billing'>$"):
        mock_llm.assert_all_called()


def test_assert_all_called_option_checks_at_exit() -> None:
    with pytest.raises(AssertionError, match="never called"), MockLLM(assert_all_called=True) as llm:
        llm.model("gpt-4o").return_value = "never used"


async def test_reset_forgets_calls_but_keeps_scripts(mock_llm: MockLLM, ask: Ask) -> None:
    mock_llm.default.return_value = "x"
    await ask("q")

    mock_llm.reset()

    assert mock_llm.calls == [] and not mock_llm.default.called
    assert (await ask("q")).choices[0].message.content == "x"


# -- unscripted calls -------------------------------------------------------------------------


async def test_unscripted_call_fails_the_http_call_and_the_block(ask: Ask) -> None:
    with pytest.raises(UnscriptedCallError) as info:
        async with MockLLM() as llm:
            llm.agent("supervisor").return_value = "x"
            with pytest.raises(openai.APIStatusError) as http_error:
                await ask("Where is my refund?", agent="billing_support", model="gpt-4o")
            assert http_error.value.status_code == UNSCRIPTED_STATUS
            assert "unscripted" in http_error.value.message

    message = str(info.value)
    assert isinstance(info.value, AssertionError)
    assert "agent:  'billing_support'" in message
    assert "model:  'gpt-4o'" in message
    assert "'Where is my refund?'" in message
    assert "llm.agent('billing_support').return_value" in message
    assert "llm.default.return_value" in message
    assert llm.unscripted_calls == [llm.calls[0]]


async def test_unscripted_call_fails_even_if_the_system_falls_back(ask: Ask) -> None:
    async def system_with_fallback() -> str:
        try:
            result = await ask("hi", agent="planner")
            return result.choices[0].message.content or ""
        except openai.APIError:
            return "canned answer"  # hides the missing script from the test

    with pytest.raises(UnscriptedCallError, match="planner"):
        async with MockLLM():
            assert await system_with_fallback() == "canned answer"


def test_unscripted_message_shows_200_chars_of_prompt(http: httpx.Client) -> None:
    prompt = "a" * 150 + "b" * 150
    with pytest.raises(UnscriptedCallError) as info, MockLLM():
        http.post(CHAT, json=_body(prompt))

    message = str(info.value)
    assert "a" * 150 + "b" * 50 + "..." in message
    assert "b" * 51 not in message
    assert "(300 chars)" in message


def test_unscripted_without_agent_header_explains_the_header(http: httpx.Client) -> None:
    with pytest.raises(UnscriptedCallError) as info, MockLLM() as llm:
        llm.agent("billing")  # matches nothing anyway: no header
        http.post(CHAT, json=_body("x"))

    assert f"no {AGENT_HEADER} header" in str(info.value)
    assert "llm.agent(None" not in str(info.value)  # no hint to script an agent it cannot name
    assert "system=r'<regex of its system prompt>'" in str(info.value)  # but how to name one


def test_matching_route_without_script_is_named(http: httpx.Client) -> None:
    with pytest.raises(UnscriptedCallError) as info, MockLLM() as llm:
        llm.prompt("refund")
        http.post(CHAT, json=_body("refund please"))

    assert "<Route prompt='refund'> matches but has neither" in str(info.value)


def test_unscripted_error_replaces_the_exception_in_flight(http: httpx.Client) -> None:
    with pytest.raises(UnscriptedCallError) as info, MockLLM():
        http.post(CHAT, json=_body("x")).raise_for_status()

    assert isinstance(info.value.__context__, httpx.HTTPStatusError)


def test_streaming_is_refused_clearly(http: httpx.Client) -> None:
    with pytest.raises(UnscriptedCallError, match="stream=True is not supported"), MockLLM() as llm:
        llm.default.return_value = "x"
        response = http.post(CHAT, json={**_body("x"), "stream": True})
        assert response.status_code == UNSCRIPTED_STATUS


def test_many_unscripted_calls_are_summarised(http: httpx.Client) -> None:
    with pytest.raises(UnscriptedCallError) as info, MockLLM():
        for n in range(8):
            http.post(CHAT, json=_body(f"question {n}"))

    message = str(info.value)
    assert message.startswith("MockLLM: 8 LLM call(s) got no scripted answer")
    assert "question 4" in message and "question 5" not in message
    assert "... and 3 more" in message


# -- lifecycle and transport ------------------------------------------------------------------


def test_sync_context_manager_with_a_sync_client(http: httpx.Client) -> None:
    with MockLLM() as llm:
        llm.agent("supervisor").return_value = "billing_support"
        response = http.post(CHAT, json=_body("x"), headers={AGENT_HEADER: "supervisor"})

    assert response.json()["choices"][0]["message"]["content"] == "billing_support"
    assert response.json()["usage"]["total_tokens"] > 0


def test_sync_openai_client(http: httpx.Client) -> None:
    with MockLLM() as llm:
        llm.default.return_value = "sync ok"
        sdk = openai.OpenAI(base_url=llm.base_url, api_key="x", http_client=http, max_retries=0)
        result = sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])

    assert result.choices[0].message.content == "sync ok"


async def test_custom_base_url() -> None:
    async with MockLLM(base_url="https://llm.internal:8443/openai/v1/") as llm:
        llm.default.return_value = "custom"
        async with httpx.AsyncClient() as http:
            sdk = openai.AsyncOpenAI(base_url=llm.base_url, api_key="x", http_client=http, max_retries=0)
            result = await sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])

    assert llm.base_url == "https://llm.internal:8443/openai/v1"
    assert result.choices[0].message.content == "custom"


async def test_models_endpoint_lists_known_models(client: openai.AsyncOpenAI) -> None:
    async with MockLLM(models=["gpt-4o-mini"]) as llm:
        llm.model("gpt-4o").return_value = "x"
        page = await client.models.list()

    assert [m.id for m in page.data] == ["gpt-4o", "gpt-4o-mini"]
    assert llm.calls == []  # model listing is not a chat call


def test_other_paths_under_base_url_get_404(mock_llm: MockLLM, http: httpx.Client) -> None:
    response = http.post("http://llm.test/v1/embeddings", json={"input": "x"})

    assert response.status_code == 404
    assert "serves POST /chat/completions" in response.json()["error"]["message"]


def test_other_hosts_are_left_to_other_respx_routers(mock_llm: MockLLM, http: httpx.Client) -> None:
    with respx.mock(assert_all_called=False) as other:
        other.get("http://crm.test/customers/1").respond(200, json={"id": 1})
        mock_llm.default.return_value = "x"

        assert http.get("http://crm.test/customers/1").json() == {"id": 1}
        assert http.post(CHAT, json=_body("x")).status_code == 200


def test_start_twice_is_an_error_and_restart_works(http: httpx.Client) -> None:
    llm = MockLLM()
    with llm:
        with pytest.raises(ScriptError, match="already started"):
            llm.start()
        llm.default.return_value = "x"
    with llm:
        assert http.post(CHAT, json=_body("again")).status_code == 200

    assert len(llm.calls) == 1
    assert "routes=0 calls=1" in repr(llm)


def test_second_mock_on_the_same_base_url_is_refused(mock_llm: MockLLM) -> None:
    with pytest.raises(ScriptError, match=r"already serves http://llm\.test/v1"):
        MockLLM().start()
    with MockLLM(base_url="http://other-llm.test/v1") as other:
        assert other.base_url != mock_llm.base_url


async def test_httpx_error_raised_by_a_callable_gets_the_request(mock_llm: MockLLM, ask: Ask) -> None:
    def down(call: Call) -> str:
        raise httpx.RemoteProtocolError("server hung up")

    mock_llm.default.side_effect = down

    with pytest.raises(openai.APIConnectionError) as info:
        await ask("x")

    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)


def test_raw_httpx_response_is_an_escape_hatch(mock_llm: MockLLM, http: httpx.Client) -> None:
    mock_llm.model("a").return_value = httpx.Response(200, json={"unexpected": True})
    mock_llm.model("b").side_effect = lambda call: httpx.Response(
        503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, json={"error": {}}
    )

    first, second = (http.post(CHAT, json=_body("x", model="a")) for _ in range(2))
    dated = http.post(CHAT, json=_body("x", model="b"))

    assert first.json() == second.json() == {"unexpected": True}  # reusable
    assert dated.status_code == 503 and dated.headers["Retry-After"].startswith("Wed")
