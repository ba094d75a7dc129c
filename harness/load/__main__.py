"""`python -m harness.load [options]`: the same as `harness load`."""

import argparse
import sys

from ._cli import add_arguments, run

parser = add_arguments(argparse.ArgumentParser(prog="harness load", description=run.__doc__))
sys.exit(run(parser.parse_args()))
