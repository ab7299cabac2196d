"""How should the default say that a sentence takes no side? Three designs measured on the same yardsticks.

(a) a three-way model: `neutral` when p(neutral) reaches a threshold fitted on validation; its binary
    view renormalises the two stances;
(b) a binary model for the side, gated by the three-way model's p(neutral) (two models at inference);
(c) a binary model alone with a calibrated abstention threshold: no side when the top stance's
    probability is under a threshold fitted on validation.

Each threshold is fitted on validation rows that neither model trained on (the three-way run's
validation documents outside the binary run's training documents), for the best three-way
macro-F1. Reported per design: binary macro-F1 on the stance-bearing rows of the test split and the
real-text dev set, and on running text the three-way macro-F1, the share of no-side sentences given
a side and the document stance-index MAE.

    python scripts/no_side_choice.py --three-way outputs/runs/<3-way run> --binary outputs/runs/<binary run> --json docs/no_side_choice.json
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

SIDES = ("conciliatory", "hardline")
THREE = ("conciliatory", "hardline", "neutral")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--three-way", type=Path, required=True, help="run folder of a three-way model")
    parser.add_argument("--binary", type=Path, required=True, help="run folder of a binary model")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import numpy as np
    import yaml

    from stance import StanceClassifier
    from stance.data.cleaning import is_news_line, strip_news_furniture
    from stance.data.dataset import DataOptions, SplitRatios, load_prepared
    from stance.data.labels import index_of
    from stance.data.readers import Columns
    from stance.evaluation.metrics import bootstrap_ci, fast_macro_f1
    from stance.evaluation.rows import LabelledRows, read_labelled
    from stance.evaluation.running import RunningText
    from stance.modeling.calibration import NO_SIDE_GRID

    def data_of(run: Path) -> tuple[DataOptions, dict]:
        config = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
        d = dict(config["data"])
        return DataOptions(**{**d, "columns": Columns(**d["columns"]), "splits": SplitRatios(**d["splits"])}), config

    three_data, three_cfg = data_of(args.three_way)
    binary_data, _ = data_of(args.binary)
    three = StanceClassifier.from_pretrained(args.three_way / "model")
    binary = StanceClassifier.from_pretrained(args.binary / "model")
    dataset = load_prepared(three_data.prepared_dir)
    binary_train_docs = {
        json.loads(line)["doc_id"]
        for line in (binary_data.prepared_dir / "splits.jsonl").read_text().splitlines()
        if json.loads(line)["split"] == "train"
    }
    validation = LabelledRows.from_dataset(dataset["validation"])
    fit = validation.subset(np.array([d not in binary_train_docs for d in validation.meta["doc_id"]]))
    test = LabelledRows.from_dataset(dataset["test"])
    test = test.subset(np.array([d not in binary_train_docs for d in test.meta["doc_id"]]))  # neither model trained on these
    dev = read_labelled(three_data, [three_cfg["eval"]["real_dev"]], THREE)
    running = RunningText.read(three_cfg["eval"]["running"])
    run_texts = [strip_news_furniture(t) or t for t in running.texts]
    news_line = np.array([is_news_line(t) for t in running.texts])

    def scores(texts, previous):
        return three.predict_proba(texts, previous), binary.predict_proba(texts, previous)

    cache = {name: scores(rows.texts, rows.previous) for name, rows in (("fit", fit), ("test", test), ("dev", dev))}
    cache["running"] = scores(run_texts, running.previous)

    def decide(design: str, p3: np.ndarray, p2: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """Three-way labels (0 conc, 1 hard, 2 none) and each label's confidence."""
        if design == "a":
            side = p3[:, :2].argmax(1)
            none = p3[:, 2] >= threshold
            confidence = np.where(none, p3[:, 2], p3[np.arange(len(p3)), side])
        elif design == "b":
            side = p2.argmax(1)
            none = p3[:, 2] >= threshold
            confidence = np.where(none, p3[:, 2], p2.max(1))
        else:
            side = p2.argmax(1)
            none = p2.max(1) < threshold
            confidence = p2.max(1)
        return np.where(none, 2, side), confidence

    def gold_ids(rows) -> np.ndarray:
        return np.array([THREE.index(g) for g in rows.gold])

    grid = NO_SIDE_GRID  # the grid the library's own rule (design a) is chosen from
    table = []
    for design, title in (("a", "(a) three-way model"), ("b", "(b) binary model + three-way gate"), ("c", "(c) binary model + abstention")):
        if design == "c":
            grid_c = np.round(np.arange(0.5, 0.996, 0.01), 3)
        p3, p2 = cache["fit"]
        candidates = grid_c if design == "c" else grid
        fits = [fast_macro_f1(gold_ids(fit), decide(design, p3, p2, t)[0], 3) for t in candidates]
        threshold = float(candidates[int(np.argmax(fits))])
        row = {"design": title, "threshold": threshold, "validation_three_way_macro_f1": round(max(fits), 4)}
        for name, rows in (("test", test), ("dev", dev)):
            p3, p2 = cache[name]
            stance = np.array([g in SIDES for g in rows.gold])
            side_proba = (p3[:, :2] / p3[:, :2].sum(1, keepdims=True)) if design == "a" else p2
            pred = side_proba[stance].argmax(1)
            gold = np.array([SIDES.index(g) for g, s in zip(rows.gold, stance) if s])
            ci = bootstrap_ci(gold, pred, 2)["macro_f1"]
            row[f"{name}_binary_macro_f1"] = round(fast_macro_f1(gold, pred, 2), 4)
            row[f"{name}_binary_ci"] = [round(x, 3) for x in ci] if ci else None
        p3, p2 = cache["running"]
        labels, confidence = decide(design, p3, p2, threshold)
        labels[news_line] = 2
        gold = gold_ids(running)
        row["running_three_way_macro_f1"] = round(fast_macro_f1(gold, labels, 3), 4)
        row["running_no_side_given_a_side"] = round(float(np.mean(labels[gold == 2] != 2)), 4)
        row["running_side_taken_as_no_side"] = round(float(np.mean(labels[gold != 2] == 2)), 4)
        names = [THREE[i] for i in labels]
        errors = []
        for doc in dict.fromkeys(running.doc_ids):
            idx = [i for i, d in enumerate(running.doc_ids) if d == doc]
            g = index_of([running.gold[i] for i in idx])
            if g is not None:
                p = index_of([names[i] for i in idx], [float(confidence[i]) for i in idx])
                errors.append(abs(g - (p or 0.0)))
        row["running_doc_index_mae"] = round(float(np.mean(errors)), 4)
        table.append(row)
        print(json.dumps(row))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "three_way_run": str(args.three_way),
                    "binary_run": str(args.binary),
                    "fit_rows": len(fit.texts),
                    "test_rows": len(test.texts),
                    "designs": table,
                },
                indent=2,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
