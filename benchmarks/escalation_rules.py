"""Precision and recall of the cancellation-or-refund escalation rule on queries it was not written from.

Labelled sets, all kept apart from the scenarios the rule was built on
(`support_desk/data/customer_queries.jsonl`), in the order they were written:
`suites/unit/data/escalation_heldout.jsonl` (134, the set the rule was improved against),
`escalation_heldout_fresh.jsonl` (44), `escalation_heldout_blind.jsonl` (120, by a writer who never
saw the rule or the other sets), `escalation_heldout_blind2.jsonl` (200), `_blind3.jsonl` (240),
`_blind4.jsonl` (200), `_blind5.jsonl` (200), `_blind6.jsonl` (200) and `_blind7.jsonl` (200),
each by another such writer.
Each set was measured once untouched, then the rule was tuned to it, so only the newest set's first
figures say how the rule does on phrasing nobody tuned it to (the README's history has them).
Each line is {"query", "lang", "expect", "why"}; `expect` is true when
the rule must escalate with reason `cancellation_or_refund` (the policy is in the docstring of
`support_desk/_policy.py`). Prints n, TP/FP/FN/TN, precision and recall per language and overall,
then every misclassified query. Exit 0: these are figures; the unit test holds the bar.

    python benchmarks/escalation_rules.py
    python benchmarks/escalation_rules.py path/to/other.jsonl
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

from support_desk import EscalationReason
from support_desk._policy import escalation_by_rule

DATA = Path(__file__).resolve().parent.parent / "suites" / "unit" / "data"
SETS = ("", "_fresh", "_blind", "_blind2", "_blind3", "_blind4", "_blind5", "_blind6", "_blind7")
DEFAULT_FILES = [DATA / f"escalation_heldout{s}.jsonl" for s in SETS]


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    wrong: list[tuple[str, str, bool]] = field(default_factory=list)

    def add(self, query: str, why: str, expect: bool, got: bool) -> None:
        if got and expect:
            self.tp += 1
        elif got:
            self.fp += 1
        elif expect:
            self.fn += 1
        else:
            self.tn += 1
        if got != expect:
            self.wrong.append((query, why, expect))

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def fires(query: str) -> bool:
    return escalation_by_rule(query, "standard") == EscalationReason.CANCELLATION


def score(path: Path) -> dict[str, Tally]:
    """One tally per language and one for `all`."""
    tallies: dict[str, Tally] = {"all": Tally()}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        got = fires(row["query"])
        for key in ("all", row["lang"]):
            tallies.setdefault(key, Tally()).add(row["query"], row["why"], row["expect"], got)
    return tallies


def report(path: Path) -> None:
    tallies = score(path)
    print(f"\n{path.name}")
    print(f"  {'':4} {'n':>4} {'TP':>4} {'FP':>4} {'FN':>4} {'TN':>4} {'precision':>10} {'recall':>8}")
    for key in sorted(tallies, key=lambda k: (k == "all", k)):
        t = tallies[key]
        print(f"  {key:4} {t.n:4} {t.tp:4} {t.fp:4} {t.fn:4} {t.tn:4} {t.precision:10.1%} {t.recall:8.1%}")
    for query, why, expect in tallies["all"].wrong:
        kind = "missed (FN)" if expect else "over-fired (FP)"
        print(f"  {kind:16} {query!r}  [{why}]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_FILES, help="labelled .jsonl sets")
    args = parser.parse_args(argv)
    for path in args.files:
        if path.is_file():
            report(path)
        else:
            print(f"\n{path}: no such file; skipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
