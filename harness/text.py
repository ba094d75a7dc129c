"""Text folding: the one normalisation for matching what people type (case, accents, punctuation)."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "words"]

_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: 'Cancelár CUENTA!' -> 'cancelar cuenta'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", ascii_only).strip()


def words(text: str) -> list[str]:
    return fold(text).split()
