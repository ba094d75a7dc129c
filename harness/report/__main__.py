"""`python -m harness.report {report,gate,compare} ...`: the same as `harness report|gate|compare`."""

import sys

from ._cli import main

sys.exit(main())
