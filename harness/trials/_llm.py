"""What answers the system's LLM calls during trials: the declared mock brain, a noisy one, or
the system's own LLM (no mock at all).

    declared   the system's `[tool.harness.system] brain`, else the scenario brain played from
               the scenarios being run (`harness.scenarios.ScenarioBrain`)
    noisy      the declared one, wrapped in `harness.scenarios.NoisyBrain` (--seed, --misroute):
               a known pass rate per scenario, to see the statistics at work
    own        whatever the system is configured to call; trials of a real LLM
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..llm import MockLLM
from ..llm.server import load_brain
from ..scenarios import NoisyBrain, Scenario, ScenarioBrain
from ..sut import SystemDeclaration

__all__ = ["BRAINS", "Brain", "choose_brain", "mocked_llm"]

Brain = Callable[..., Any]
BRAINS = ("declared", "noisy", "own")
_SCENARIO_BRAIN = "harness.scenarios:scenario_brain"


def choose_brain(
    name: str,
    declaration: SystemDeclaration,
    scenarios: Sequence[Scenario],
    *,
    seed: int = 0,
    misroute: float = 0.1,
) -> tuple[Brain | None, str]:
    """(the brain, how the record names it); (None, ...) for the system's own LLM."""
    if name == "own":
        return None, "the system's own LLM"
    spec = declaration.mock_brain
    declared: Brain
    if spec is None or spec == _SCENARIO_BRAIN:
        declared, label = ScenarioBrain(scenarios, declaration.vocabulary.router), "scenario brain"
    else:
        declared, label = load_brain(spec), spec
    if name == "declared":
        return declared, label
    noisy = NoisyBrain(
        declared,
        scenarios,
        misroute=misroute,
        seed=seed,
        routes=declaration.vocabulary.routes,
        router=declaration.vocabulary.router,
    )
    return noisy, f"noisy (seed {seed}, misroute {misroute:g}) over {label}"


def _playable(brain: Brain) -> Brain:
    """`MockLLM.play` passes `tools=`; a brain written for the server may not take it."""
    try:
        params = inspect.signature(brain).parameters.values()
        takes = any(p.name == "tools" or p.kind is p.VAR_KEYWORD for p in params)
    except (TypeError, ValueError):
        takes = False
    if takes:
        return brain
    return lambda agent, messages, model, tools=None: brain(agent, messages, model)


@contextmanager
def mocked_llm(declaration: SystemDeclaration, brain: Brain | None) -> Iterator[MockLLM | None]:
    """The in-process mock LLM playing `brain`, with the env a default client reads pointed at it
    (`OPENAI_BASE_URL`, the declared `llm_base_url_env`), as the `mock_llm` fixture does; nothing
    when `brain` is None."""
    if brain is None:
        yield None
        return
    llm = MockLLM()
    for agent, rule in declaration.identify.items():
        llm.identify(agent, system=rule.system, tool=rule.tool)
    llm.play(_playable(brain))
    serve = declaration.serve
    names = {"OPENAI_BASE_URL", (serve and serve.llm_base_url_env) or "OPENAI_BASE_URL"}
    env = dict.fromkeys(names, llm.base_url) | {
        "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "harness-mock-llm")
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        with llm:
            yield llm
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
