"""Root conftest: offline, quiet defaults for every tier. (Tier markers come from the harness's
pytest plugin, from the folder under `[tool.harness.system] suites` or a test's own marker.)"""

from __future__ import annotations

import os

from hypothesis import settings

# Per-commit runs stay fast; `HYPOTHESIS_PROFILE=thorough` (nightly) searches much harder.
settings.register_profile("default", max_examples=40, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# deepeval phones home and writes ./.deepeval/ unless told not to; set before anything imports it.
os.environ.setdefault("DEEPEVAL_TELEMETRY_OPT_OUT", "YES")
os.environ.setdefault("DEEPEVAL_FILE_SYSTEM", "READ_ONLY")
os.environ.setdefault("DEEPEVAL_UPDATE_WARNING_OPT_OUT", "YES")
