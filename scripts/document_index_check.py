"""Would a document's stance index come nearer its gold from the probabilities than from the labels?

The shipped index counts the labels `predict` gives (each stance-bearing sentence weighted by its
confidence, `stance.data.labels.index_of`): "classify and count" in the quantification literature.
"Probabilistic classify and count" (Bella et al. 2010, "Quantification via probability
estimators") sums the calibrated probabilities instead, and can be less biased when the classifier
is calibrated and its errors lean one way. This script scores each estimator's document-index MAE
against gold on the validation split's documents (where a choice would be made), on the test
split's documents and on the running-text yardstick (news lines taken out, as `stance-predict` reads
an article):

- `labels, confidence-weighted`: the shipped index;
- `labels, one vote each`: the same labels, unweighted;
- `probabilities, decided sentences`: sum of p(hardline) - p(conciliatory) over the sentences that
  take a side, divided by the sum of p(hardline) + p(conciliatory) over them;
- `probabilities, every sentence`: the same over every content sentence (p(neutral) lowers a
  sentence's weight instead of the threshold removing it).

    python scripts/document_index_check.py --model outputs/runs/<run>/model --prepared data/processed/diplomatic
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stance.data.labels import CONCILIATORY, HARDLINE, NEUTRAL, THREE_WAY, index_of
from stance.modeling.calibration import decide_no_side

C, H, N = THREE_WAY.index(CONCILIATORY), THREE_WAY.index(HARDLINE), THREE_WAY.index(NEUTRAL)
ESTIMATORS = ("labels, confidence-weighted", "labels, one vote each", "probabilities, decided sentences", "probabilities, every sentence")


def estimate(how: str, proba: np.ndarray, decided: np.ndarray) -> float | None:
    """One document's index from its content sentences' probabilities and decided label ids."""
    if how.startswith("labels"):
        weights = proba[np.arange(len(decided)), decided] if how == ESTIMATORS[0] else None
        return index_of([THREE_WAY[d] for d in decided], None if weights is None else list(weights))
    rows = decided != N if how == ESTIMATORS[2] else np.ones(len(decided), bool)
    mass = float((proba[rows, H] + proba[rows, C]).sum())
    return float((proba[rows, H] - proba[rows, C]).sum()) / mass if mass > 0 else None


def document_mae(doc_ids: Sequence[str], gold: np.ndarray, proba: np.ndarray, decided: np.ndarray, content: np.ndarray) -> dict[str, float]:
    """Each estimator's mean absolute error over the documents whose gold takes a side (no estimate counts as 0)."""
    members: dict[str, list[int]] = defaultdict(list)
    for i, doc in enumerate(doc_ids):
        members[doc].append(i)
    errors: dict[str, list[float]] = {how: [] for how in ESTIMATORS}
    for index in members.values():
        target = index_of([THREE_WAY[g] for g in gold[index]])
        if target is None:
            continue
        kept = [i for i in index if content[i]]
        for how in ESTIMATORS:
            errors[how].append(abs(target - (estimate(how, proba[kept], decided[kept]) or 0.0)))
    return {"documents": len(errors[ESTIMATORS[0]]), **{how: round(float(np.mean(e)), 4) for how, e in errors.items()}}


def main() -> None:
    import datasets

    from stance import StanceClassifier
    from stance.data.cleaning import is_news_line, strip_news_furniture
    from stance.evaluation.running import RunningText

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path, help="a three-way model folder written by stance-train")
    parser.add_argument("--prepared", required=True, type=Path, help="its prepared dataset (validation and test splits)")
    parser.add_argument("--running", default=Path("data/realtext/running.jsonl"), type=Path, help="the running-text yardstick")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    clf = StanceClassifier.from_pretrained(args.model)
    if tuple(clf.labels) != THREE_WAY:
        raise SystemExit(f"{args.model}: a three-way model is needed (its labels are {clf.labels})")
    parts: dict[str, tuple[list[str], np.ndarray, np.ndarray, np.ndarray]] = {}
    data = datasets.load_from_disk(str(args.prepared))
    for split in ("validation", "test"):
        rows = data[split]
        proba = clf.predict_proba(rows["text"], rows["previous"])
        origin = np.asarray(rows["origin"])
        for name, mask in ((split, np.ones(len(origin), bool)), (f"{split}: real and news", np.isin(origin, ["real", "written_news"]))):
            parts[name] = (list(np.asarray(rows["doc_id"])[mask]), np.asarray(rows["label"])[mask], proba[mask], np.ones(int(mask.sum()), bool))
    running = RunningText.read(args.running)
    proba = clf.predict_proba([strip_news_furniture(t) or t for t in running.texts], running.previous)
    gold = np.asarray([THREE_WAY.index(g) for g in running.gold])
    content = np.asarray([not is_news_line(t) for t in running.texts])
    parts["running text"] = (running.doc_ids, gold, proba, content)
    for origin in sorted(set(running.origins)):
        mask = np.asarray([o == origin for o in running.origins])
        parts[f"running text: {origin}"] = ([d for d, m in zip(running.doc_ids, mask) if m], gold[mask], proba[mask], content[mask])

    out = {"model": str(args.model), "no_side_threshold": clf.no_side_threshold, "results": {}}
    for name, (doc_ids, gold, proba, content) in parts.items():
        decided = np.where(content, decide_no_side(proba, THREE_WAY, clf.no_side_threshold), N)
        out["results"][name] = document_mae(doc_ids, gold, proba, decided, content)
        print(name, json.dumps(out["results"][name]))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
