"""`python -m harness.chaos [options]`: the same as `harness chaos`."""

import argparse
import sys

from ._cli import add_arguments, run

parser = add_arguments(
    argparse.ArgumentParser(
        prog="harness chaos", description="Run chaos experiments; write reports/chaos.json."
    )
)
sys.exit(run(parser.parse_args()))
