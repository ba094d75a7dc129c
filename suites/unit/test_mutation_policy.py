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


# --- the run of 2026-12-04 (evening): survivors in rule 2's matching -------------------------
from support_desk._policy import _key_word, _one_edit, wants_to_leave_or_money_back  # noqa: E402


@pytest.mark.parametrize(
    "query",
    ["I want out", "this price hike is the last straw I'm leaving"],
    ids=["a whole clause of leaving", "leaving at the end of a longer clause"],
)
def test_either_way_of_saying_i_am_leaving_is_enough(query: str) -> None:
    # Each matches one of the two leaving patterns and not the other: both are needed.
    assert wants_to_leave_or_money_back(query)


def test_a_k_for_c_spelling_too_long_to_be_one_edit_is_respelled_first() -> None:
    # "kancellation" is many edits from every key: only the k->c respelling up front makes it
    # the "cancellation" rule 2 knows.
    assert _key_word("kancellation") == "cancellation"
    assert wants_to_leave_or_money_back("I want a kancellation of my subscription")


def test_a_last_letter_typo_is_one_edit() -> None:
    # The first difference is the last letter: there is no neighbour to swap it with.
    assert _one_edit("refunt", "refund") and _one_edit("cancek", "cancel")
    assert not _one_edit("refunt", "refuse")
