"""The `mock_llm` pytest fixture, as a user's test suite sees it (via pytester)."""

from __future__ import annotations

import httpx
import pytest

import harness.plugin
from harness.llm import DEFAULT_BASE_URL, MockLLM

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.harness_self  # a test of the harness's own parts

# Keep the inner pytest runs fast and free of third-party plugins.
FAST = (
    *("-p", "no:deepeval", "-p", "no:langsmith_plugin", "-p", "no:locust"),
    *("-p", "no:cacheprovider", "-p", "no:asyncio", "-p", "no:hypothesispytest", "-p", "no:randomly"),
)

CONFTEST = "from harness.plugin import mock_llm  # noqa: F401\n"

USER_TESTS = """
import httpx

URL = "http://llm.test/v1/chat/completions"
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Where is my refund?"}]}


def ask(agent):
    with httpx.Client() as http:
        response = http.post(URL, json=BODY, headers={"X-Harness-Agent": agent})
    return response.json()["choices"][0]["message"]["content"] if response.is_success else None


def test_scripted(mock_llm):
    mock_llm.agent("billing").return_value = "Paid."
    assert ask("billing") == "Paid."
    mock_llm.agent("billing").assert_called_once()


def test_unscripted_but_swallowed(mock_llm):
    mock_llm.agent("billing").return_value = "Paid."
    answer = ask("refunds") or "sorry, try later"   # the system falls back...
    assert answer == "sorry, try later"             # ...and the test body passes
"""


def test_fixture_yields_a_started_mock(mock_llm: MockLLM, http: httpx.Client) -> None:
    mock_llm.default.return_value = "from the fixture"

    response = http.post(
        f"{DEFAULT_BASE_URL}/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
    )

    assert mock_llm.base_url == DEFAULT_BASE_URL
    assert response.json()["choices"][0]["message"]["content"] == "from the fixture"


def test_scripted_test_passes_and_unscripted_call_fails_it(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_user=USER_TESTS)

    result = pytester.runpytest(*FAST)

    # The swallowed call's test body passed, but teardown fails it.
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_unscripted_but_swallowed*",
            "*UnscriptedCallError*1 LLM call(s) got no scripted answer*",
            "*agent:  'refunds'*",
            "*model:  'gpt-4o-mini'*",
            "*prompt: 'Where is my refund?'*",
            "*llm.agent('refunds').return_value = '...'*",
        ]
    )


def test_unscripted_call_in_a_failing_test_is_explained(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        import httpx

        def test_forgot_to_script(mock_llm):
            with httpx.Client() as http:
                response = http.post(
                    "http://llm.test/v1/chat/completions",
                    json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
                )
            response.raise_for_status()
        """
    )

    result = pytester.runpytest(*FAST)

    result.assert_outcomes(failed=1, errors=1)
    output = result.stdout.str()
    assert "HTTPStatusError: Client error '421 Misdirected Request'" in output
    assert "UnscriptedCallError: MockLLM: 1 LLM call(s)" in output
    assert "model:  'gpt-4o'" in output


def test_fixture_stops_intercepting_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        import respx

        STATE = {}

        def test_one(mock_llm):
            STATE["llm"] = mock_llm

        def test_two():
            from respx.mocks import HTTPCoreMocker
            assert STATE["llm"]._router not in HTTPCoreMocker.routers
        """
    )

    pytester.runpytest(*FAST).assert_outcomes(passed=2)


def test_plugin_declares_only_fixtures() -> None:
    assert harness.plugin.__all__ == [
        "graph_coverage",
        "harness_chaos",
        "harness_declaration",
        "harness_load",
        "harness_stack",
        "mock_llm",
    ]
    assert callable(harness.plugin.mock_llm) and callable(harness.plugin.harness_stack)


DEFAULT_CLIENT_TESTS = """
import os

import openai


def test_a_client_built_the_default_way_talks_to_the_mock(mock_llm):
    mock_llm.default.return_value = "from the mock"
    client = openai.OpenAI(max_retries=0)  # no base_url, no key: the environment's
    reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert reply.choices[0].message.content == "from the mock"
    assert os.environ["OPENAI_BASE_URL"] == mock_llm.base_url


def test_the_environment_is_restored_after_the_test():
    assert "OPENAI_BASE_URL" not in os.environ
    assert os.environ.get("OPENAI_API_KEY") in (None, "a-real-key")
"""


@pytest.mark.parametrize("key", [None, "a-real-key"])
def test_a_default_openai_client_is_answered_not_sent_to_the_network(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    if key is None:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    else:
        monkeypatch.setenv("OPENAI_API_KEY", key)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(DEFAULT_CLIENT_TESTS)
    pytester.runpytest(*FAST).assert_outcomes(passed=2)
