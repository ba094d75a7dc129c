"""Properties of the whole system in process: any input ends within the deadline with a valid
route or a clear rejection, and no input PII reaches the logs or any LLM call."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness._exceptions import InputValidationError
from harness.llm import DEFAULT_BASE_URL, MockLLM
from harness.strategies import customer_queries, pii
from support_desk import ROUTES, SupportSystem, load_settings
from support_desk._logging import configure_logging
from support_desk.brain import brain_side_effect

DEADLINE_S = 1.5  # the stack's SUPPORT_DESK_TIMEOUTS__REQUEST_DEADLINE_S (see conftest)
GRACE_S = 2.0
PROPS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
texts = st.text(st.characters(categories=("L", "Zs", "P")), max_size=40)


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as r:
        yield r


@pytest.fixture(scope="module")
def in_process(runner: asyncio.Runner) -> Iterator[tuple[SupportSystem, io.StringIO, MockLLM]]:
    logs = io.StringIO()
    handler = configure_logging(logging.INFO, logs)
    llm = MockLLM().start()
    llm.default.side_effect = brain_side_effect
    system = SupportSystem(
        load_settings(llm_base_url=DEFAULT_BASE_URL, rate_limit={"requests_per_minute": 1e6})
    )
    yield system, logs, llm
    llm.stop()
    llm.assert_no_unscripted_calls()
    runner.run(system.aclose())
    logging.getLogger("support_desk").removeHandler(handler)


@PROPS
@given(query=customer_queries(), tier=st.sampled_from(["standard", "vip"]))
def test_in_process_any_input_ends_with_a_valid_route_or_a_clear_rejection(
    runner: asyncio.Runner, in_process: tuple[SupportSystem, io.StringIO, MockLLM], query: str, tier: str
) -> None:
    system, _, _ = in_process
    started = time.monotonic()
    try:
        result = runner.run(system.ainvoke(query, user_id="prop", customer_tier=tier))
    except InputValidationError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert result.route in ROUTES and result.answer
    assert time.monotonic() - started < system.settings.timeouts.request_deadline_s
    assert result.escalated == (result.escalation_reason is not None)


@PROPS
@given(before=texts, secret=pii(), after=texts)
def test_in_process_input_pii_reaches_no_log_and_no_llm_call(
    runner: asyncio.Runner,
    in_process: tuple[SupportSystem, io.StringIO, MockLLM],
    before: str,
    secret: str,
    after: str,
) -> None:
    system, logs, llm = in_process
    calls_before, logged_before = len(llm.calls), logs.tell()
    runner.run(system.ainvoke(f"{before} {secret} {after}", user_id=secret))
    logs.seek(logged_before)
    assert secret not in logs.read()
    assert all(secret not in call.prompt for call in llm.calls[calls_before:])
