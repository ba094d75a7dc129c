"""The agents' tools, over a small made-up back office."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["issue_refund", "lookup_invoice", "search_docs"]


class _Invoice(NamedTuple):
    amount: float
    status: str
    charged: int


_INVOICES = {
    "INV-1001": _Invoice(42.0, "paid", 1),
    "INV-1002": _Invoice(19.9, "paid", 2),
    "INV-1003": _Invoice(120.0, "due", 0),
}
_DOCS = {
    "login": "Reset your password from the sign-in page; two-factor codes expire after 30 s.",
    "crash": "Update to the latest version; if the app still closes, reinstall it.",
    "export": "Exports are under Settings > Data; large ones arrive by e-mail.",
}


def lookup_invoice(invoice_id: str) -> str:
    """Look an invoice up by its id (INV-....): amount, status, and how often it was charged."""
    invoice = _INVOICES.get(invoice_id.strip().upper())
    if invoice is None:
        return f"no invoice {invoice_id}"
    amount, status, charged = invoice
    return f"{invoice_id}: {amount:.2f} EUR, {status}, charged {charged} time(s)"


def issue_refund(invoice_id: str, amount: float) -> str:
    """Refund `amount` EUR of an invoice; only a double charge is refunded."""
    invoice = _INVOICES.get(invoice_id.strip().upper())
    if invoice is None or invoice.charged < 2:
        return f"refused: {invoice_id} was not charged twice"
    return f"refunded {min(amount, invoice.amount):.2f} EUR on {invoice_id}"


def search_docs(query: str) -> str:
    """Search the help articles; the best match, or none."""
    words = query.lower()
    hits = [text for key, text in _DOCS.items() if key in words]
    return hits[0] if hits else "no article matches"
