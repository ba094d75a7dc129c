"""Tests that kill mutants `harness mutate` found surviving in support_desk/_policy.py
(docs/mutation-survivors.md): each refusal of `sanitise_query` names what was wrong."""

from __future__ import annotations

import pytest

from harness._exceptions import InputValidationError
from support_desk._policy import sanitise_query


def test_a_query_that_is_not_text_is_refused_naming_its_type() -> None:
    with pytest.raises(InputValidationError, match=r"^query must be a string, got int$"):
        sanitise_query(42, max_chars=100)


def test_an_empty_query_is_refused_with_the_fix() -> None:
    with pytest.raises(InputValidationError, match=r"^query is empty; send the customer's question as text$"):
        sanitise_query("   ", max_chars=100)
