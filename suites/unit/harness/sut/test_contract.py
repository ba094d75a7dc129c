"""What counts as an answer: a 2xx that keeps the system's contract, and nothing else."""

from __future__ import annotations

import json

import pytest

from harness.sut import HTTPContract, HttpSpec, Outcome, ReplyFields

pytestmark = pytest.mark.harness_self

ROUTES = ("billing", "tech")
OFF_VOCABULARY = "route 'nonsense' ('route') is not one of the declared routes (billing, tech)"


def read(
    body: object, *, routes: tuple[str, ...] = ROUTES, status: int = 200, spec: HttpSpec | None = None
) -> Outcome:
    text = body if isinstance(body, str) else json.dumps(body)
    return HTTPContract(spec, routes=routes).read(status, text)


def test_a_real_answer_is_answered() -> None:
    outcome = read({"answer": "Your invoice is paid.", "route": "billing"})
    assert outcome.kind == "answered" and outcome.error is None


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"answer": "", "route": "billing"}, "an empty answer ('answer') and no escalation"),
        ({"answer": "   ", "route": "billing"}, "an empty answer"),
        ({"route": "billing"}, "an empty answer"),
        ({"answer": "ok", "route": "nonsense"}, OFF_VOCABULARY),
        ({"answer": "ok"}, "no route ('route') is not one of the declared routes"),
        ("<html><body>502 Bad Gateway</body></html>", "HTTP 200 but not a JSON object"),
        ([{"answer": "ok"}], "not a JSON object"),
        ({"answer": "ok", "route": "billing", "escalated": "maybe"}, "reply field escalated"),
    ],
)  # fmt: skip
def test_junk_with_a_200_is_invalid_never_answered(body: object, why: str) -> None:
    outcome = read(body)
    assert outcome.kind == "invalid" and why in (outcome.error or ""), outcome


def test_an_escalation_needs_no_answer_and_no_route_of_the_vocabulary() -> None:
    outcome = read({"answer": "", "route": "human", "escalated": True, "escalation_reason": "vip"})
    assert outcome.kind == "answered"


def test_without_declared_routes_any_route_is_the_systems_own() -> None:
    assert read({"answer": "ok", "route": "anything"}, routes=()).kind == "answered"


def test_the_declared_reply_fields_are_where_the_answer_is_looked_for() -> None:
    spec = HttpSpec(reply=ReplyFields(answer="data.text", route="data.dept"))
    assert read({"data": {"text": "ok", "dept": "tech"}}, spec=spec).kind == "answered"
    outcome = read({"data": {"text": "", "dept": "tech"}}, spec=spec)
    assert outcome.kind == "invalid" and "'data.text'" in (outcome.error or "")


def test_errors_stay_errors() -> None:
    assert read({"error": "down"}, status=503).kind == "retriable"
    assert read({"error": "bad"}, status=422).kind == "rejected"
    assert read("oops", status=500).kind == "error"
