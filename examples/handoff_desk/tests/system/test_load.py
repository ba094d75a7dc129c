"""A load run over HTTP against the SLA: the declared service on a stack of its own."""

from harness.measure import SlaReport


def test_the_smoke_load_meets_the_sla(harness_load) -> None:
    report: SlaReport = harness_load("smoke")
    assert report.verdict == "pass", report.failures
    assert report.requests.lost == 0 and report.requests.sent > 0
