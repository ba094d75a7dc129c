"""Token and cost accounting from the API's `usage` field, with a configurable price table."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ._settings import ModelPrice

__all__ = ["cost_usd"]

_log = logging.getLogger("support_desk")
_warned: set[str] = set()


def cost_usd(model: str, tokens_in: int, tokens_out: int, prices: Mapping[str, ModelPrice]) -> float:
    """USD for one call. A model missing from the table costs 0 and is reported once."""
    price = prices.get(model)
    if price is None:
        # Dated snapshots ("gpt-4o-2024-08-06") are priced like their family.
        family = sorted((n for n in prices if model.startswith(n + "-")), key=len, reverse=True)
        price = prices[family[0]] if family else None
    if price is None:
        if model not in _warned:
            _warned.add(model)
            _log.warning(
                "no price for model %r; its cost counts as 0. Add it to [tool.support_desk.prices]",
                model,
            )
        return 0.0
    return (tokens_in * price.input_per_mtok + tokens_out * price.output_per_mtok) / 1_000_000
