"""Would a learned classifier do better than the keyword rule on phrasing nobody tuned it to?

The cancellation-or-refund rule (`support_desk/_policy.py`) scores 100% on every labelled set it
was tuned to and 80-90% precision, 67-93% recall on each new blind set, measured untouched
(README, "Development"). This trains a plain text classifier (TF-IDF of character 2-5-grams and
word 1-2-grams of the folded text, logistic regression with balanced classes) and measures it
leave-one-set-out: for each labelled set, trained on all the others, scored on it. Every figure
it prints is therefore on phrasing the classifier never saw, like the rule's first figures.
For the newest blind set (the only one the rule has not been tuned to) it also prints the rule,
the classifier at several thresholds, and rule and classifier combined.

scikit-learn is not a dependency of the harness or the reference (one experiment does not earn
100 MB); install it beside the venv to reproduce:

    .venv/bin/python -m pip install --target /tmp/sklpkgs scikit-learn
    PYTHONPATH=/tmp/sklpkgs .venv/bin/python benchmarks/escalation_classifier.py
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from escalation_rules import DEFAULT_FILES, fires

from harness.text import fold

NEWEST = DEFAULT_FILES[-1]


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _pr(predicted: Sequence[bool], truth: Sequence[bool]) -> str:
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return f"{precision:6.1%} / {recall:6.1%}"


def _model(c: float) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, preprocessor=fold),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, preprocessor=fold),
    )
    return make_pipeline(features, LogisticRegression(C=c, max_iter=2000, class_weight="balanced"))


def main() -> int:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("escalation_classifier: needs scikit-learn; see this file's docstring", file=sys.stderr)
        return 2
    sets = {p.stem.removeprefix("escalation_"): _rows(p) for p in DEFAULT_FILES}
    print("leave-one-set-out: trained on every other set, scored on this one (precision / recall)")
    print(f"{'set':16} {'n':>4}  {'classifier':>17}  {'rule (tuned to all but the newest)':>17}")
    probabilities: list[float] = []
    for name, rows in sets.items():
        train = [r for other, rs in sets.items() if other != name for r in rs]
        model = _model(10.0).fit([r["query"] for r in train], [r["expect"] for r in train])
        queries, truth = [r["query"] for r in rows], [bool(r["expect"]) for r in rows]
        p = [float(x) for x in model.predict_proba(queries)[:, 1]]
        rule = [fires(q) for q in queries]
        print(f"{name:16} {len(rows):4}  {_pr([x > 0.5 for x in p], truth):>17}  {_pr(rule, truth):>17}")
        probabilities = p  # the last set is the newest
    rows = sets[NEWEST.stem.removeprefix("escalation_")]
    truth, rule = [bool(r["expect"]) for r in rows], [fires(r["query"]) for r in rows]
    print(f"\n{NEWEST.name}, untouched by the rule and unseen by the classifier:")
    print(f"  rule                                {_pr(rule, truth)}")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7):
        print(f"  classifier, threshold {t:.1f}          {_pr([x > t for x in probabilities], truth)}")
    either = [r or x > 0.5 for r, x in zip(rule, probabilities, strict=True)]
    print(f"  rule or classifier                  {_pr(either, truth)}")
    for w in (0.5, 0.7):
        mixed = [w * x + (1 - w) * r > 0.5 for r, x in zip(rule, probabilities, strict=True)]
        print(f"  {w:.1f} x classifier + {1 - w:.1f} x rule > 0.5   {_pr(mixed, truth)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
