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
    "handoff-drop": "not_applicable",  # no handoff hook: the fault cannot reach it
}


# Half the *connections* are reset, and ChatOpenAI retries a reset call twice on a new one. A
# pooled connection that drew "no reset" carries every later call untouched, so the outcome rides
# on how many connections the run opens: held here (1 and 6 resets in two runs), failed in two
# CI runs under load (a question fails when one call meets three resets in a row). Either is true
# of this system; what must hold is that the fault fired and nothing worse than failing came of it.
CHANCY = {"net-reset-peer": {"held", "failed"}}


def test_the_catalogue_ends_as_known(harness_chaos) -> None:
    report: ChaosReport = harness_chaos()
    verdicts = {e.name: e.verdict for e in report.experiments}
    assert {n: v for n, v in verdicts.items() if n not in CHANCY} == KNOWN
    for e in (e for e in report.experiments if e.name in CHANCY):
        assert e.verdict in CHANCY[e.name], (e.name, e.verdict, e.violations)
        assert e.fired is not None and e.fired.hits > 0, (e.name, e.fired)
        # a failed question is a 500 with no retry signal: an error, and "unclear" (as for llm-500)
        allowed = ("during.error_rate", "unclear")
        assert all(v.startswith(allowed) for v in e.violations), (e.name, e.violations)
    assert report.summary.lost == 0 and report.summary.leftovers == 0
