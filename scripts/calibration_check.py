"""Which validation rows should fit the temperature? ECE on the test split and the real-text dev set for each choice.

A trained model's temperature is fitted on its validation split. The split mixes the bundled corpus
with real 19th-century prose and news, and a single temperature fitted on the mixture can leave real
prose miscalibrated. This script scores the validation split once and fits a three-way temperature
on all of it, on its real-text rows and on its corpus rows, and the binary view's own temperature
(`fit_side_temperature`, what `eval.calibrate_on` chooses) on real rows, real and news rows, and every
stance-bearing row; then it reports the expected calibration error (binary view, 15 bins) that each
gives on the test split (by origin) and on the dev set. With the same three choices of rows it fits
the no-side threshold and reports the running-text yardstick at each (three-way macro-F1, no-side
sentences given a side, document index MAE).

    python scripts/calibration_check.py --run outputs/runs/<run>
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a run folder written by stance-train")
    parser.add_argument("--json", type=Path, help="write the table here too")
    args = parser.parse_args()

    import numpy as np
    import yaml

    from stance import StanceClassifier
    from stance.data.dataset import DataOptions, SplitRatios, load_prepared
    from stance.data.readers import Columns
    from stance.evaluation.rows import LabelledRows, held_out_running, read_labelled
    from stance.evaluation.running import evaluate_running
    from stance.modeling.calibration import (
        expected_calibration_error,
        fit_no_side_rule,
        fit_side_temperature,
        fit_temperature,
    )

    config = yaml.safe_load((args.run / "config.yaml").read_text(encoding="utf-8"))
    data_cfg = dict(config["data"])
    data = DataOptions(**{**data_cfg, "columns": Columns(**data_cfg["columns"]), "splits": SplitRatios(**data_cfg["splits"])})
    dataset = load_prepared(data.prepared_dir)
    clf = StanceClassifier.from_pretrained(args.run / "model")
    labels = clf.labels
    validation = LabelledRows.from_dataset(dataset["validation"])
    test = LabelledRows.from_dataset(dataset["test"])
    dev = read_labelled(data, [config["eval"]["real_dev"]], labels if "neutral" in labels else (*labels, "neutral"))

    def logits(rows: LabelledRows) -> np.ndarray:
        return clf.logits(rows.texts, rows.previous)

    v_logits = logits(validation)
    v_gold = validation.gold_ids(labels)
    origin = np.array(validation.meta.get("origin", [""] * len(validation.texts)))
    choices = {"all validation rows": np.ones(len(origin), bool), "real-text rows": origin == "real", "corpus rows": origin != "real"}
    temperatures = {name: fit_temperature(v_logits[mask], v_gold[mask]) for name, mask in choices.items() if mask.sum() >= 20}
    rows_of = {}
    for origins in (("real",), ("real", "written_news"), ()):
        fit = fit_side_temperature(v_logits, v_gold, labels, [str(o) for o in origin], origins)
        name = f"binary view, eval.calibrate_on=[{', '.join(origins)}]"
        temperatures[name], rows_of[name] = fit["side_temperature"], fit["side_temperature_rows"]

    def side_ece(rows: LabelledRows, raw: np.ndarray, temperature: float, mask: np.ndarray | None = None) -> float:
        keep = np.array([g in clf.sides for g in rows.gold]) & (mask if mask is not None else True)
        proba = clf.side_probabilities(raw[keep], temperature)
        gold = np.array([clf.sides.index(g) for g, k in zip(rows.gold, keep) if k])
        return expected_calibration_error(proba, gold, 15)

    t_logits, d_logits = logits(test), logits(dev)
    t_origin = np.array(test.meta.get("origin", [""] * len(test.texts)))
    table = []
    for name, temperature in temperatures.items():
        table.append(
            {
                "fitted on": name,
                "rows": int(choices[name].sum()) if name in choices else rows_of[name],
                "temperature": round(temperature, 3),
                "test ECE": round(side_ece(test, t_logits, temperature), 4),
                "test ECE (corpus rows)": round(side_ece(test, t_logits, temperature, t_origin != "real"), 4),
                "test ECE (real rows)": round(side_ece(test, t_logits, temperature, t_origin == "real"), 4),
                "dev ECE": round(side_ece(dev, d_logits, temperature), 4),
            }
        )
    table.append(
        {
            "fitted on": "none (T = 1)",
            "rows": 0,
            "temperature": 1.0,
            "test ECE": round(side_ece(test, t_logits, 1.0), 4),
            "dev ECE": round(side_ece(dev, d_logits, 1.0), 4),
        }
    )
    if "neutral" in labels and config["eval"].get("running"):
        running = held_out_running(config["eval"]["running"], [])
        clf.temperature = fit_temperature(v_logits, v_gold)
        with clf.remembering():  # each choice below scores the same sentences: once is enough
            for origins in (("real",), ("real", "written_news"), ()):
                fit = fit_no_side_rule(v_logits, v_gold, labels, clf.temperature, [str(o) for o in origin], origins)
                clf.no_side_threshold = fit["no_side_threshold"]
                m = evaluate_running(clf, running)
                table.append(
                    {
                        "no-side threshold fitted on": f"eval.calibrate_on=[{', '.join(origins)}] "
                        f"({fit['no_side_threshold_fitted_on']}, {fit['no_side_threshold_rows']})",
                        "threshold": clf.no_side_threshold,
                        "running three-way F1": round(m["macro_f1"], 4),
                        "running no-side given a side": round(m["no_side_given_a_side"], 4),
                        "running sides taken as no side": round(m["side_taken_as_no_side"], 4),
                        "running document index MAE": round(m["doc_index_mae"], 4),
                    }
                )
    for row in table:
        print(json.dumps(row))
    if args.json:
        args.json.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
