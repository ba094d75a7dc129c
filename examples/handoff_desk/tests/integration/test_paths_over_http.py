"""Every labelled scenario over HTTP, on a stack of the desk's own service. Its API reports no
path: the path each request took comes from the spans the desk exports (OpenInference's
LangChain and OpenTelemetry's FastAPI instrumentation), received by the stack because the
declaration says `traces = true`, and matched to the request by the `traceparent` the harness
sent. Path coverage over HTTP goes to the release report."""

from harness import PathCoverage, load_scenarios
from harness.stack import Stack
from harness.sut import HTTPSystem, SystemDeclaration
from harness.traces import collect_traces

SCENARIOS = load_scenarios()


async def test_each_requests_path_comes_from_its_spans(
    harness_stack: Stack, harness_declaration: SystemDeclaration, graph_coverage_http: PathCoverage
) -> None:
    vocabulary = harness_declaration.vocabulary
    system = HTTPSystem(harness_stack.service_url, harness_declaration.http, routes=vocabulary.routes)
    sent = {}
    try:
        for n, scenario in enumerate(SCENARIOS):
            outcome = await system.ask(scenario.turn().model_copy(update={"request_id": f"it-{n}"}))
            assert outcome.status == "ok" and outcome.route == scenario.expected.route, outcome
            assert outcome.path == [], "the desk's API reports no path: the spans must tell it"
            sent[outcome.trace_id] = scenario
    finally:
        await system.aclose()
    assert harness_stack.spans is not None
    traces = collect_traces(harness_stack.spans, sent, agents=vocabulary.agents)
    assert sent.keys() <= traces.keys(), f"no spans for {len(sent.keys() - traces.keys())} requests"
    for trace_id, scenario in sent.items():
        path = traces[trace_id].path()
        assert path[:1] == ["supervisor"] and scenario.expected.route in path, (scenario.id, path)
        graph_coverage_http.record(path)
    assert graph_coverage_http.complete, graph_coverage_http.summary()
