"""The system tier's load runs: Locust against the stack, exact percentiles, reconciliation, the SLA.

    harness load --profile smoke                  # start the stack, run, judge, write reports/
    harness load --profile ramp --workers 2       # Locust's distributed mode: a master, 2 workers
    locust -f harness/load/locustfile.py          # the plain Locust way (web UI or --headless)

Profiles are data (`profiles.toml`, `[tool.harness.load.profiles.NAME]`), thresholds too
(`[tool.harness.sla]`). The report is `reports/sla.json` (schema in `_report` and
docs/sla-schema.md) with CSVs of the raw samples and the time series beside it. Only the
locustfile imports Locust: this package runs it as a subprocess.
"""

from ._profiles import LoadProfile, available_profiles, load_profile
from ._sla import SLA, load_sla

__all__ = ["SLA", "LoadProfile", "available_profiles", "load_profile", "load_sla"]
