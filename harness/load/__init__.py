"""Load runs (placeholder)."""
