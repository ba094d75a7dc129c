"""Repeated trials in process: the judge says no to each kind of wrong answer, the noisy brain
misroutes at its stated rate and no other, repeats ask for no cache, and bad options exit 2."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from harness._cli import main
from harness.llm import Reply
from harness.scenarios import NoisyBrain, Scenario
from harness.sut import CallableSystem, Outcome, cache_bypassed
from harness.trials import judge, run_trials

pytestmark = pytest.mark.harness_self

ROUTES = ("billing", "tech", "human")


def scenario(id: str = "s1", route: str | None = "billing", **expected: Any) -> Scenario:
    doc = {"route": route, "escalated": False} | expected
    return Scenario(id=id, query=f"question {id}", category="c", expected=doc)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        (Outcome(route="tech", answer="x"), "route: expected 'billing', got 'tech'"),
        (Outcome(route="billing", answer="x", escalated=True), "escalated: expected False"),
        (Outcome(route="billing", answer="x", fallback="cache", degraded=True), "a degraded answer"),
        (Outcome(status="error", error="boom", http_status=500), "error: boom"),
        (Outcome(route="billing", answer="x", tool_calls=["refund"]), None),
    ],
)
def test_judge_names_how_an_answer_disagrees(outcome: Outcome, words: str | None) -> None:
    got = judge(scenario(), outcome)
    assert got == words if words is None else words in (got or "")


def test_judge_wants_a_rejection_and_the_labelled_tools() -> None:
    assert (
        judge(scenario(route=None, rejected=True), Outcome(route="billing", answer="x"))
        == "expected a rejection, got answered"
    )
    assert judge(scenario(route=None, rejected=True), Outcome(status="rejected")) is None
    diverged = judge(scenario(tool_calls=["lookup"]), Outcome(route="billing", answer="x", tool_calls=[]))
    assert diverged is not None and diverged.startswith("tools: ")


def label_brain(agent: str | None, messages: list[dict[str, Any]], model: str) -> str:
    return "billing" if agent == "router" else json.dumps({"answer": "Paid.", "confidence": 0.9})


def turn(brain: NoisyBrain, agent: str, query: str = "question s1") -> Any:
    return brain(agent, [{"role": "user", "content": query}], "m")


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_the_noisy_brain_misroutes_at_its_rate(p: float) -> None:
    brain = NoisyBrain(label_brain, [scenario()], misroute=p, seed=5, routes=ROUTES, router="router")
    routed = [turn(brain, "router") for _ in range(2000)]
    share = sum(r != "billing" for r in routed) / len(routed)
    assert abs(share - p) < 0.035 and set(routed) <= set(ROUTES)
    assert brain.reached == {"s1"}


def test_the_noisy_brain_is_seeded_and_rewords_json_answers() -> None:
    def draws(seed: int) -> list[Any]:
        brain = NoisyBrain(label_brain, [scenario()], misroute=0.5, seed=seed, routes=ROUTES, router="router")
        return [turn(brain, "router") for _ in range(40)]

    assert draws(1) == draws(1) and draws(1) != draws(2)
    brain = NoisyBrain(label_brain, [scenario()], misroute=0.0, seed=1, router="router")
    answers = set()
    for _ in range(30):  # each a new turn of the scenario: its phrasing is drawn afresh
        brain.draw("s1")
        answers.add(json.loads(turn(brain, "worker"))["answer"])
    assert len(answers) > 1 and all("Paid." in a for a in answers)


def test_the_noisy_brain_hands_off_elsewhere_with_tools() -> None:
    tools = [{"type": "function", "function": {"name": f"transfer_to_{r}"}} for r in ROUTES]
    inner = lambda agent, messages, model, tools=None: Reply(content="")  # noqa: E731
    brain = NoisyBrain(inner, [scenario()], misroute=1.0, seed=0)
    reply = brain("sup", [{"role": "user", "content": "question s1"}], "m", tools=tools)
    assert isinstance(reply, Reply) and reply.tool_calls[0].name in {"transfer_to_tech", "transfer_to_human"}


def test_repeats_ask_for_no_cache_unless_allowed() -> None:
    seen: list[bool] = []

    def system(query: str) -> dict[str, Any]:
        seen.append(cache_bypassed())
        return {"route": "billing", "answer": "ok"}

    done = asyncio.run(run_trials(CallableSystem(system), [scenario()], repeat=3))
    assert seen == [True] * 3 and all(t.passed for t in done)
    seen.clear()
    asyncio.run(run_trials(CallableSystem(system), [scenario()], repeat=2, allow_cache=True))
    assert seen == [False, False]


def test_a_scenario_repeat_overrides_the_runs() -> None:
    many = scenario("s2").model_copy(update={"repeat": 5})
    system = CallableSystem(lambda query: {"route": "billing", "answer": "ok"})
    done = asyncio.run(run_trials(system, [scenario(), many], repeat=2))
    assert [t.scenario for t in done].count("s2") == 5 and [t.scenario for t in done].count("s1") == 2


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--repeat", "0"], "--repeat 0: give at least 1"),
        (["--confidence", "1.5"], "--confidence 1.5"),
        (["--misroute", "2"], "--misroute 2"),
        (["--host", "http://127.0.0.1:9", "--brain", "noisy"], "--brain noisy with --host"),
        (["--repeat", "2", "--k", "4"], "pass^4 needs 4 trials"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trials", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
