"""Every labelled scenario through the graph in process: the scenario brain plays the LLM (the
label's route decides the supervisor's handoff), and the graph must route, call the expected
tools in order and answer. Path coverage goes to the release report."""

import pytest

from handoff_desk.api import answer
from harness import MockLLM, PathCoverage, Scenario, load_scenarios, load_system
from harness.scenarios import scenario_brain

SCENARIOS = load_scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
async def test_the_scenario_goes_where_its_label_says(
    scenario: Scenario, mock_llm: MockLLM, graph_coverage: PathCoverage
) -> None:
    mock_llm.play(scenario_brain)
    outcome = await load_system().ask(scenario.turn())
    graph_coverage.record(outcome.path)
    assert outcome.status == "ok" and outcome.answer, outcome
    assert outcome.route == scenario.expected.route
    assert scenario.expected.divergence(outcome.tool_calls) is None


def test_every_edge_of_the_graph_is_walked(graph_coverage: PathCoverage) -> None:
    assert graph_coverage.requests == len(SCENARIOS), "run with the scenarios above"
    assert graph_coverage.complete, graph_coverage.summary()


async def test_the_api_reads_the_graphs_state_like_the_harness(mock_llm: MockLLM) -> None:
    mock_llm.play(scenario_brain)
    scenario = SCENARIOS[0]
    graph = load_system().graph
    state = await graph.ainvoke({"messages": [("user", scenario.query)]})
    assert answer(state)["route"] == scenario.expected.route
