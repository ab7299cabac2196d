"""Distillation benchmark: a student against its teacher on the test split and the real-text dev set, and their speed.

    stance-train model=mpnet ...                                   # the teacher (the default)
    stance-train experiment=distill distill.teacher=<teacher>/model   # the MiniLM student
    python scripts/bench_distill.py --teacher <teacher>/model --student <student>/model [--json FILE]

Both models score the same sentences through `StanceClassifier` (torch backend, the same batching);
the headline's macro-F1 (conciliatory vs hardline on the stance-bearing rows, by each model's binary view)
on the prepared test split of the default data and on `data/realtext/dev.jsonl` (never trained on) with
bootstrap 95% intervals, and inference speed on corpus sentences, teacher and student
alternating, median of `--repeats` runs each. The machine is shared and noisy: read the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")


def _rows(overrides: list[str], labels: tuple[str, ...]):
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG, options
    from stance.data.dataset import is_current, load_prepared, prepare_dataset
    from stance.evaluation.rows import LabelledRows, read_labelled

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name=PRIMARY_CONFIG, overrides=overrides)
    data = options(cfg, "data")
    if not is_current(data):
        prepare_dataset(data)
    test = LabelledRows.from_dataset(load_prepared(data.prepared_dir)["test"])
    return {"test": test, "real_dev": read_labelled(data, [cfg.eval.real_dev], labels)}


def _macro_f1(clf, rows) -> dict[str, float | list[float]]:
    """The headline's call: conciliatory vs hardline on the stance-bearing rows, by the binary view (`side_proba`)."""
    import numpy as np

    from stance.evaluation.metrics import bootstrap_ci, fast_macro_f1

    sides = clf.sides
    side_rows = rows.subset(np.array([g in sides for g in rows.gold]))
    gold = side_rows.gold_ids(sides)
    pred = clf.side_proba(side_rows.texts, side_rows.previous).argmax(axis=1)
    ci = bootstrap_ci(gold, pred, len(sides))["macro_f1"]
    return {"macro_f1": fast_macro_f1(gold, pred, len(sides)), "ci": ci, "n": len(gold)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", type=Path, required=True)
    parser.add_argument("--student", type=Path, required=True)
    parser.add_argument("--sentences", type=int, default=2000, help="corpus sentences timed per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the data configuration, after --")
    args = parser.parse_args()

    from stance.data.bundled import corpus_sample
    from stance.evaluation.metrics import ci_text
    from stance.inference.classifier import StanceClassifier

    models = {name: StanceClassifier.from_pretrained(path) for name, path in (("teacher", args.teacher), ("student", args.student))}
    if models["teacher"].labels != models["student"].labels:
        print("teacher and student have different label sets", file=sys.stderr)
        return 2
    rows = _rows(args.overrides, models["teacher"].labels)
    report: dict = {"teacher": str(args.teacher), "student": str(args.student)}
    for name, clf in models.items():
        report[name + "_scores"] = {split: _macro_f1(clf, r) for split, r in rows.items()}
    texts = corpus_sample(args.sentences)
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(args.repeats):
        for name, clf in models.items():
            start = time.perf_counter()
            clf.logits(texts)
            times[name].append(time.perf_counter() - start)
    speed = {name: len(texts) / statistics.median(t) for name, t in times.items()}
    report["sentences_per_second"] = speed
    report["speed_ratio_student_over_teacher"] = speed["student"] / speed["teacher"]
    print("| model | test macro-F1 (95% CI) | real-text dev macro-F1 (95% CI) | sentences/s |")
    print("|---|---|---|---|")
    for name in models:
        s = report[name + "_scores"]
        cells = [f"{s[k]['macro_f1']:.3f} ({ci_text(s[k]['ci'], s[k].get('n', 0))})" for k in ("test", "real_dev")]
        print(f"| {name} | {cells[0]} | {cells[1]} | {speed[name]:.1f} |")
    gaps = {k: report["teacher_scores"][k]["macro_f1"] - report["student_scores"][k]["macro_f1"] for k in ("test", "real_dev")}
    report["teacher_minus_student"] = gaps
    print(
        f"student/teacher speed {report['speed_ratio_student_over_teacher']:.2f}x (median of {args.repeats}, {len(texts)} sentences); "
        f"teacher - student macro-F1: test {gaps['test']:+.3f}, real-text dev {gaps['real_dev']:+.3f}"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
