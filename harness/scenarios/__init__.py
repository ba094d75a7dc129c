"""Labelled customer queries (English and Spanish) and how the reference system must handle them.

    from harness.scenarios import load_scenarios

    for s in load_scenarios():              # the packaged data/customer_queries.jsonl
        s.query, s.customer_tier, s.expected.route, s.expected.escalated, s.expected.reason
"""

from ._load import DEFAULT_FILE, load_scenarios, parse_scenarios
from ._schema import CATEGORIES, Expected, Scenario

__all__ = ["CATEGORIES", "DEFAULT_FILE", "Expected", "Scenario", "load_scenarios", "parse_scenarios"]
