"""Would correcting for the model's known confusions bring each document's stance index nearer its gold?

The stance index counts the sentences the model gives each side. Its errors shrink a one-sided
document's index towards 0, so quantification work corrects the counts with the confusion matrix
measured on held-out data ("adjusted classify and count": Forman 2008, *Quantifying counts and
costs via classification*; in political science, Hopkins & King 2010 on estimating category
proportions). This script fits that matrix, P(predicted | gold), on the real-prose validation rows
(the rows the no-side threshold is fitted on) and compares, per document, the index as shipped
(confidence-weighted), the plain count, and two corrections:

- three-way: the non-negative counts t with M t closest to the observed counts (NNLS);
- binary: among the sentences given a side, hardline's share corrected by its true and false
  positive rates, clipped to [0, 1].

Scored on the running-text yardstick (from a run's `eval-running/predictions.csv`) and on the
test split's documents. Nothing is fitted on either.

    python scripts/adjusted_count_check.py --run outputs/runs/<run> --prepared data/processed/diplomatic
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

from stance.data.labels import CONCILIATORY, HARDLINE, THREE_WAY, index_of

Document = tuple[list[str], list[str], list[float]]  # gold labels, predicted labels, confidences


def confusion(gold: Sequence[str], predicted: Sequence[str]) -> np.ndarray:
    """M[i, j] = P(predicted THREE_WAY[i] | gold THREE_WAY[j])."""
    counts = np.zeros((3, 3))
    for g, p in zip(gold, predicted):
        counts[THREE_WAY.index(p), THREE_WAY.index(g)] += 1
    return counts / counts.sum(axis=0, keepdims=True)


def three_way_adjusted(m: np.ndarray) -> Callable[[list[str], list[float]], float | None]:
    def index(labels: list[str], _: list[float]) -> float | None:
        observed = np.array([labels.count(k) for k in THREE_WAY], dtype=float)
        t, _residual = nnls(m, observed)
        conc, hard = t[THREE_WAY.index(CONCILIATORY)], t[THREE_WAY.index(HARDLINE)]
        return (hard - conc) / (hard + conc) if hard + conc > 1e-9 else None

    return index


def binary_adjusted(m: np.ndarray) -> Callable[[list[str], list[float]], float | None]:
    c, h = THREE_WAY.index(CONCILIATORY), THREE_WAY.index(HARDLINE)
    tpr = m[h, h] / (m[c, h] + m[h, h])  # a hardline sentence given a side is read as hardline
    fpr = m[h, c] / (m[c, c] + m[h, c])  # a conciliatory sentence given a side is read as hardline

    def index(labels: list[str], _: list[float]) -> float | None:
        conc, hard = labels.count(CONCILIATORY), labels.count(HARDLINE)
        if conc + hard == 0:
            return None
        share = min(1.0, max(0.0, (hard / (conc + hard) - fpr) / (tpr - fpr)))
        return 2 * share - 1

    return index


def mae(documents: Sequence[Document], index: Callable[[list[str], list[float]], float | None]) -> tuple[float, int]:
    """Mean absolute error against the gold index, as the running-text yardstick scores it (no side predicted = 0)."""
    errors = []
    for gold, predicted, confidence in documents:
        target = index_of(gold)
        if target is not None:
            errors.append(abs(target - (index(predicted, confidence) or 0.0)))
    return float(np.mean(errors)), len(errors)


def main() -> None:
    import datasets

    from stance import StanceClassifier

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, type=Path, help="a run folder: its model/ and eval-running/predictions.csv")
    parser.add_argument("--prepared", required=True, type=Path, help="the run's prepared dataset (validation and test splits)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    clf = StanceClassifier.from_pretrained(args.run / "model")
    data = datasets.load_from_disk(str(args.prepared))
    names = data["validation"].features["label"].names

    def scored(split: str, origins: set[str] | None = None) -> tuple[list[dict], list]:
        rows = [r for r in data[split] if origins is None or r["origin"] in origins]
        return rows, clf.predict_sentences([r["text"] for r in rows], [r["previous"] for r in rows])

    validation, predictions = scored("validation", {"real"})
    m = confusion([names[r["label"]] for r in validation], [p.label for p in predictions])
    indexes = {
        "as shipped (confidence-weighted count)": lambda labels, conf: index_of(labels, conf),
        "plain count": lambda labels, conf: index_of(labels),
        "adjusted count, three-way (NNLS)": three_way_adjusted(m),
        "adjusted count, binary": binary_adjusted(m),
    }

    sets: dict[str, list[Document]] = {}
    running: dict[str, Document] = defaultdict(lambda: ([], [], []))
    with (args.run / "eval-running" / "predictions.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            gold, predicted, confidence = running[r["doc_id"]]
            gold.append(r["gold"])
            predicted.append(r["prediction"])
            confidence.append(float(r["confidence"]))
    sets["running text"] = list(running.values())
    sets["running text: address passages"] = [d for k, d in running.items() if k.startswith("running-")]
    sets["running text: news articles"] = [d for k, d in running.items() if not k.startswith("running-")]
    rows, predictions = scored("test")
    test: dict[str, Document] = defaultdict(lambda: ([], [], []))
    for r, p in zip(rows, predictions):
        gold, predicted, confidence = test[r["doc_id"]]
        gold.append(names[r["label"]])
        predicted.append(p.label)
        confidence.append(p.confidence)
    sets["test split documents"] = list(test.values())

    out = {"confusion_real_validation": m.round(4).tolist(), "validation_rows": len(validation), "mae": {}}
    print("P(predicted | gold) on the real validation rows (rows predicted, columns gold; conciliatory, hardline, neutral):")
    print(m.round(3))
    for name, documents in sets.items():
        out["mae"][name] = {}
        for label, index in indexes.items():
            value, n = mae(documents, index)
            out["mae"][name][label] = round(value, 4)
            print(f"{name} ({n} documents): {label}: MAE {value:.3f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
