"""Check an ONNX export against torch on the real-text development set: agreement, macro-F1 and speed.

    stance-export model_dir=outputs/runs/<run>/model
    python scripts/export_check.py outputs/runs/<run>/model [--json docs/export_check.json]

`stance-export` itself checks labels on corpus sentences; this reads `data/realtext/dev.jsonl`
(real prose of other periods, with each sentence's previous one) the way `stance-evaluate` does,
scores it with the torch model, the fp32 graph, the int8 graph with its near ties scored again in
fp32, and the int8 graph alone (whichever of these `predict.backend=onnx` runs: see
onnx_export.json's `int8_used`), and reports for each: label agreement with torch, binary
macro-F1 on the stance-bearing rows, and sentences per second. Each backend is timed in this one
process, one after the other, so read the speed ratios rather than the absolute figures.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    import numpy as np
    import torch
    from sklearn.metrics import f1_score

    from stance.data.dataset import DataOptions
    from stance.evaluation.rows import read_labelled
    from stance.inference.classifier import StanceClassifier
    from stance.inference.onnx_backend import FP32_FILE, INT8_FILE, NearTieRescorer, OnnxBackend, read_export_report

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, help="a model folder that stance-export has written model.onnx / model.int8.onnx into")
    parser.add_argument("--dev", type=Path, default=ROOT / "data" / "realtext" / "dev.jsonl")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (args.model / "model.int8.onnx").exists():
        raise SystemExit(f"{args.model}: no model.int8.onnx; run stance-export model_dir={args.model} first")
    torch.set_num_threads(os.cpu_count() or 1)

    torch_clf = StanceClassifier.from_pretrained(args.model)
    same = (torch_clf.tokenizer, torch_clf.labels)
    margin = float(read_export_report(args.model)["rescore_margin"])
    rows = read_labelled(DataOptions(), [str(args.dev)], torch_clf.labels)
    stance_bearing = [i for i, g in enumerate(rows.gold) if g in ("conciliatory", "hardline")]
    results = []
    reference = None
    fp32 = StanceClassifier(OnnxBackend(args.model / FP32_FILE), torch_clf.tokenizer, torch_clf.labels, max_length=torch_clf.max_length)
    for name, clf in (
        ("torch", torch_clf),
        ("onnx fp32", fp32),
        ("onnx int8 + fp32 near ties", StanceClassifier(NearTieRescorer(OnnxBackend(args.model / INT8_FILE), fp32.backend, margin), *same)),
        ("onnx int8 alone", StanceClassifier(OnnxBackend(args.model / INT8_FILE), *same)),
    ):
        clf.predict_proba(rows.texts[:16], rows.previous[:16] if rows.previous else None)  # warm up
        started = time.perf_counter()
        proba = clf.predict_proba(rows.texts, rows.previous)
        seconds = time.perf_counter() - started
        labels = np.array(clf.labels)[proba.argmax(axis=1)]
        if reference is None:
            reference = labels
        # the binary view: the larger of the two stances, on the rows whose gold takes a side
        sides = [clf.labels.index("conciliatory"), clf.labels.index("hardline")]
        binary = np.array(["conciliatory", "hardline"])[proba[stance_bearing][:, sides].argmax(axis=1)]
        gold = [rows.gold[i] for i in stance_bearing]
        row = {
            "backend": name,
            "label_agreement_with_torch": round(float((labels == reference).mean()), 4),
            "binary_macro_f1": round(float(f1_score(gold, binary, average="macro")), 4),
            "sentences_per_s": round(len(rows.texts) / seconds, 1),
        }
        results.append(row)
        print(json.dumps(row), flush=True)
    report = {"model": str(args.model), "dev_sentences": len(rows.texts), "stance_bearing": len(stance_bearing), "rows": results}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
