"""Structured JSON logs: the documented fields, one object per line, and never any PII."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from harness.llm import MockLLM
from support_desk import SupportSystem
from support_desk import specialist_reply as answer
from support_desk._logging import JsonFormatter, configure_logging, log_event


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging(logging.DEBUG, stream)
    yield stream
    logging.getLogger("support_desk").removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_event_fields_are_json(log_stream: io.StringIO) -> None:
    log_event("llm_call", trace_id="t1", agent="supervisor", latency_ms=12.5, tokens_in=3, error_code=None)
    (doc,) = lines(log_stream)
    assert doc["event"] == "llm_call" and doc["trace_id"] == "t1" and doc["agent"] == "supervisor"
    assert doc["latency_ms"] == 12.5 and doc["tokens_in"] == 3
    assert "error_code" not in doc  # None fields are left out
    assert doc["level"] == "info" and str(doc["ts"]).endswith("Z")


def test_pii_in_message_fields_and_exceptions_is_redacted(log_stream: io.StringIO) -> None:
    logger = logging.getLogger("support_desk")
    try:
        raise ValueError("card 4111 1111 1111 1111 declined")
    except ValueError:
        logger.exception("failed for ana@example.com", extra={"detail": {"phone": "+34 612 345 678"}})
    raw = log_stream.getvalue()
    for secret in ("4111 1111 1111 1111", "ana@example.com", "612 345 678"):
        assert secret not in raw
    (doc,) = lines(log_stream)
    assert doc["error_type"] == "ValueError" and "[CARD]" in str(doc["error"])


def test_formatter_handles_non_json_values() -> None:
    record = logging.makeLogRecord({"msg": "x", "extra_obj": object(), "levelname": "INFO"})
    assert json.loads(JsonFormatter().format(record))["event"] == "x"


async def test_a_whole_request_logs_every_agent_and_no_pii(
    system: SupportSystem, mock_llm: MockLLM, log_stream: io.StringIO
) -> None:
    mock_llm.agent("supervisor").return_value = "billing_support"
    mock_llm.agent("billing_support").return_value = answer("Your IBAN ES91 2100 0418 4502 0005 1332 is set.")
    result = await system.ainvoke(
        "Charge on card 4111111111111111, email luis@correo.es, DNI 12345678Z", user_id="luis@correo.es"
    )
    raw = log_stream.getvalue()
    for secret in ("4111111111111111", "luis@correo.es", "12345678Z", "ES91 2100 0418 4502 0005 1332"):
        assert secret not in raw
    docs = lines(log_stream)
    calls = [d for d in docs if d["event"] == "llm_call"]
    assert [d["agent"] for d in calls] == ["supervisor", "billing_support"]
    assert all(d["trace_id"] == result.trace_id and "latency_ms" in d and "tokens_out" in d for d in calls), (
        calls
    )
    assert docs[-1]["event"] == "request_done"


def test_generated_trace_ids_survive_redaction() -> None:
    from harness.pii import redact, redact_obj
    from support_desk._system import _new_trace_id

    ids = [_new_trace_id() for _ in range(3000)]
    # About 3% of random hex ids hold a digit run the redactor reads as a phone or a card: as
    # text they are redacted, as the value of an id field they are kept, by their format.
    assert any(redact(t) != t for t in ids)
    assert all(redact_obj({"trace_id": t}) == {"trace_id": t} and len(t) == 32 for t in ids)
    assert len(set(ids)) == 3000
