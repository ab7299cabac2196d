"""The run summary (`metrics.json` of a run folder): defined here once, written by training, read by every consumer.

{"primary": "test",                                   # the split the run was judged on (eval.split)
 "evaluations": {"test": {...}, "real_dev": {...}},   # headline figures per evaluated set, keyed by its real name
                                                      # (each with "tags": {tag: {n, accuracy, macro_f1}} where rows are tagged)
 "validation_best_macro_f1": 0.91, "calibration": {...}, "train": {...}, "history": [...], "dataset": {...}}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HEADLINE_KEYS = ("n", "accuracy", "balanced_accuracy", "macro_f1", "weighted_f1", "mcc", "roc_auc", "pr_auc", "log_loss", "brier")
# display names of the held-out sets a run may evaluate besides its primary split
SET_TITLES = {"real_dev": "real-text dev", "running": "running text", "documents": "documents"}


def headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """The figures of one evaluation report that a run summary keeps (point estimates, intervals, baselines)."""
    out = {k: metrics[k] for k in HEADLINE_KEYS}
    out["macro_f1_ci"] = metrics["ci"]["macro_f1"]
    out["accuracy_ci"] = metrics["ci"]["accuracy"]
    out["ci_level"] = metrics["ci"]["level"]
    out["ece_before"] = metrics["calibration"]["ece_before"]
    out["ece_after"] = metrics["calibration"]["ece_after"]
    if "hard_cases" in metrics:
        out["hard_cases_macro_f1"] = metrics["hard_cases"]["macro_f1"]
    for name, b in metrics.get("baselines", {}).items():
        out[f"{name}_macro_f1"] = b["macro_f1"]
        if b.get("hard_cases_macro_f1") is not None:
            out[f"{name}_hard_cases_macro_f1"] = b["hard_cases_macro_f1"]
    # each hard-case tag's figures, so that seeds can be compared tag by tag (`stance-aggregate`: real_dev.tags.<tag>.macro_f1)
    tags = metrics.get("breakdowns", {}).get("tags")
    if tags:
        out["tags"] = {tag: {k: group[k] for k in ("n", "accuracy", "macro_f1")} for tag, group in tags.items()}
    return out


def running_headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """The running-text figures a run summary keeps (three-way, no side given a side, document index MAE, per part)."""
    keep = (
        "n",
        "macro_f1",
        "macro_f1_ci",
        "ci_level",
        "accuracy",
        "no_side_sentences",
        "no_side_given_a_side",
        "side_taken_as_no_side",
        "doc_index_mae",
        "documents",
    )
    out = {k: metrics[k] for k in keep}
    out["parts"] = {name: {k: part.get(k) for k in keep} for name, part in metrics["parts"].items()}
    return out


def primary(summary: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of the split the run was judged on."""
    return summary["evaluations"][summary["primary"]]


def load_summary(run_dir: Path) -> dict[str, Any]:
    return json.loads((Path(run_dir) / "metrics.json").read_text(encoding="utf-8"))


def headline_lines(summary: dict[str, Any]) -> list[str]:
    """One line per evaluated set, the primary split first, as stance-train and the main job print them."""
    from stance.evaluation.metrics import ci_of

    lines = []
    name = summary["primary"]
    test = primary(summary)
    line = (
        f"{name} macro-F1 {test['macro_f1']:.3f} ({ci_of(test)}), "
        f"accuracy {test['accuracy']:.3f}; TF-IDF baseline macro-F1 {test.get('tfidf_lr_macro_f1', float('nan')):.3f}"
    )
    if "tfidf_lr_hard_cases_macro_f1" in test:
        line += f"; hard cases {test['hard_cases_macro_f1']:.3f} vs TF-IDF {test['tfidf_lr_hard_cases_macro_f1']:.3f}"
    lines.append(line)
    for key, title in SET_TITLES.items():
        dev = summary["evaluations"].get(key)
        if key == "running" and dev:
            from stance.evaluation.running import summary_line

            lines.append(summary_line(dev))
        elif key == "documents" and dev:
            lines.append(
                f"documents: {dev['n']} raw articles, document-level accuracy "
                + ("n/a (no manifest label is one of the model's)" if dev["accuracy"] is None else f"{dev['accuracy']:.3f}")
                + " (predict_document against their labels.csv)"
            )
        elif dev:
            lines.append(
                f"{title} macro-F1 {dev['macro_f1']:.3f} ({ci_of(dev)}), "
                f"accuracy {dev['accuracy']:.3f}; TF-IDF baseline macro-F1 {dev.get('tfidf_lr_macro_f1', float('nan')):.3f} "
                f"({dev['n']} sentences, never trained on)"
            )
    return lines
