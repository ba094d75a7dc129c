"""`harness mutate`: the suite's own strength, as a mutation score per tier (docs: README,
"Mutation testing"). Mutants come from mutmut's operators over the declared packages; each runs
in a copy of them against the tiers, cheapest first; `reports/mutation.json` holds the result."""

from ._generate import Mutant, PackageSource, find_packages, generate_mutants, sample_mutants
from ._record import MutantResult, MutationRecord, TierScore
from ._runner import Plan, Runner
from ._settings import MutateSettings, load_mutate_settings

__all__ = [
    "Mutant",
    "MutantResult",
    "MutateSettings",
    "MutationRecord",
    "PackageSource",
    "Plan",
    "Runner",
    "TierScore",
    "find_packages",
    "generate_mutants",
    "load_mutate_settings",
    "sample_mutants",
]
