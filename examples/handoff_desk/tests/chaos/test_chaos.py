"""The generic chaos catalogue against the declared service. The help desk has no defences of
its own beyond ChatOpenAI's two retries: an LLM error or an unreachable LLM becomes an HTTP 500
with no retry signal, a hung LLM call is never cut. These verdicts are what it is known to do;
a change either way should be seen (and a new defence should move its fault to "held")."""

from harness.measure import ChaosReport

KNOWN = {
    "llm-429": "failed",  # 3 tries at 50% per call, 4 calls a question: about 1 in 4 fails
    "llm-500": "failed",
    "llm-hang": "failed",  # no timeout of its own: the customer waits for the client's
    "llm-malformed": "failed",  # a JSON error is not retried
    "net-down": "failed",  # it fails, as it must, but with a 500 that says nothing
    "net-latency": "held",  # slow, but no bound on latency in the generic hypothesis
    "net-reset-peer": "held",  # connection errors are retried
    "handoff-drop": "not_applicable",  # no handoff hook: the fault cannot reach it
}


def test_the_catalogue_ends_as_known(harness_chaos) -> None:
    report: ChaosReport = harness_chaos()
    assert {e.name: e.verdict for e in report.experiments} == KNOWN
    assert report.summary.lost == 0 and report.summary.leftovers == 0
