"""Evaluate a classifier on labelled sentences: metrics with CIs, baselines, calibration, plots, errors."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stance.data.labels import THREE_WAY
from stance.data.readers import csv_dict_reader, read_text_file
from stance.errors import StanceError, check_setting
from stance.evaluation.metrics import (
    bootstrap_ci,
    classification_metrics,
    coverage_curve,
    fast_macro_f1,
    group_macro_f1,
    three_way_scores,
    threshold_for_accuracy,
    wilson_interval,
)
from stance.evaluation.rows import LabelledRows
from stance.modeling.calibration import expected_calibration_error, scaled_probabilities

BREAKDOWN_COLUMNS = ("origin", "kind", "tags", "region", "topic", "register", "source")


def bundled_real_dev() -> str:
    from stance.data.bundled import resource_path

    return str(resource_path("realtext") / "dev.jsonl")


def bundled_running() -> str:
    from stance.data.bundled import resource_path

    return str(resource_path("realtext") / "running.jsonl")


@dataclass
class EvalOptions:
    """What the evaluation report computes and which held-out sets it scores: the `eval` config group."""

    split: str = "test"
    bootstrap_resamples: int = 1000
    confidence_level: float = 0.95
    calibration_bins: int = 15
    calibrate_on: list[str] = field(default_factory=lambda: ["real"])
    target_accuracy: float = 0.9
    baselines: bool = True
    plots: bool = True
    batch_size: int = 64
    output_dir: str | None = None
    raw_articles: str | None = None
    real_dev: str | None = field(default_factory=bundled_real_dev)
    running: str | None = field(default_factory=bundled_running)
    explain_errors: int = 10

    def __post_init__(self) -> None:
        """Reject an impossible value when the options are built, before a model is loaded."""
        check_setting(self.bootstrap_resamples >= 1, "eval.bootstrap_resamples", self.bootstrap_resamples, "1 or more, e.g. 1000")
        check_setting(0 < self.confidence_level < 1, "eval.confidence_level", self.confidence_level, "a level between 0 and 1, e.g. 0.95")
        check_setting(self.calibration_bins >= 1, "eval.calibration_bins", self.calibration_bins, "1 or more bins, e.g. 15")
        check_setting(0 < self.target_accuracy <= 1, "eval.target_accuracy", self.target_accuracy, "an accuracy above 0 and at most 1, e.g. 0.9")
        check_setting(self.batch_size >= 1, "eval.batch_size", self.batch_size, "a whole number from 1, e.g. 64")
        check_setting(self.explain_errors >= 0, "eval.explain_errors", self.explain_errors, "0 (none) or more")


def evaluate_classifier(
    classifier: Any,
    rows: LabelledRows,
    out_dir: Path,
    opts: EvalOptions,
    train_rows: LabelledRows | None = None,
    title: str = "test",
    documents: dict[str, Any] | None = None,
    *,
    seed: int = 0,
    validation_calibration: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Write metrics.json, predictions.csv, errors.csv, plots, report.md and report.html to `out_dir`.

    The headline is conciliatory vs hardline on the sentences whose gold label takes a side, from
    the model's binary view (a three-way model's two stances renormalised). When the rows hold
    sentences that take no side, or the model can say so, `no_side` adds the three-way view:
    `predict`'s labels against gold, and the share of no-side sentences given a side.
    `validation_calibration` (the ECE before and after scaling on the validation split, as
    `stance.modeling.calibration.calibrate` measured it when fitting the temperature) joins the
    report's calibration section; the validation split is not scored again.
    """
    from stance.evaluation import plots

    if not rows.texts:
        raise StanceError("nothing to evaluate: the split is empty", fix="check data.inputs and eval.split")
    labels = tuple(classifier.sides)
    k = len(labels)
    rows.gold_ids(tuple(classifier.labels) + (("neutral",) if "neutral" not in classifier.labels else ()))  # unknown gold labels fail here
    logits_all = classifier.logits(rows.texts, rows.previous)
    full = scaled_probabilities(logits_all, classifier.temperature)
    stance_rows = np.array([g in labels for g in rows.gold])
    no_side = _no_side_view(classifier, rows, full, opts, seed) if (not stance_rows.all() or len(classifier.labels) > k) else None
    if not stance_rows.any():
        raise StanceError("no sentence of the split takes a side", fix="evaluate on rows labelled conciliatory or hardline")
    side_rows = rows.subset(stance_rows)
    y = side_rows.gold_ids(labels)
    raw = classifier.side_probabilities(logits_all[stance_rows], 1.0)
    proba = classifier.side_probabilities(logits_all[stance_rows])
    pred = proba.argmax(axis=1)

    metrics = classification_metrics(y, proba, labels)
    metrics["ci"] = bootstrap_ci(y, pred, k, opts.bootstrap_resamples, opts.confidence_level, seed)
    metrics["calibration"] = {
        "temperature": classifier.temperature,
        "side_temperature": classifier.side_temperature,
        "bins": opts.calibration_bins,
        "ece_before": expected_calibration_error(raw, y, opts.calibration_bins),
        "ece_after": expected_calibration_error(proba, y, opts.calibration_bins),
    }
    if validation_calibration:
        # the binary view's figures where it has a temperature of its own: those are what this section measures
        side = "side_" if "validation_side_ece_before" in validation_calibration else ""
        metrics["calibration"]["validation_ece_before"] = validation_calibration.get(f"validation_{side}ece_before")
        metrics["calibration"]["validation_ece_after"] = validation_calibration.get(f"validation_{side}ece_after")
        metrics["calibration"]["side_temperature_fitted_on"] = validation_calibration.get("side_temperature_fitted_on")
    curve = coverage_curve(y, proba)
    metrics["abstention"] = {
        "target_accuracy": opts.target_accuracy,
        "operating_point": threshold_for_accuracy(curve, opts.target_accuracy),
        "curve": _thin_curve(curve),
    }
    hard = _hard_case_mask(side_rows)
    if hard is not None and hard.any():
        metrics["hard_cases"] = {
            "n": int(hard.sum()),
            "accuracy": float(np.mean(y[hard] == pred[hard])),
            "macro_f1": group_macro_f1(y[hard], pred[hard], k),
        }
    train_sides = train_rows.subset(np.array([g in labels for g in train_rows.gold])) if train_rows is not None else None
    metrics["baselines"] = _baselines(labels, side_rows, y, pred, train_sides, opts, seed, metrics, hard) if opts.baselines and train_sides else {}
    metrics["breakdowns"] = _breakdowns(side_rows, y, pred, labels, opts.confidence_level)
    metrics["top_errors"] = _top_errors(classifier, side_rows, labels, y, proba, opts.explain_errors)
    metrics["labels"] = list(labels)
    metrics["model_labels"] = list(classifier.labels)
    metrics["split"] = title
    if no_side is not None:
        no_side["threshold"] = classifier.no_side_threshold
        no_side["threshold_fitted_on"] = (validation_calibration or {}).get("no_side_threshold_fitted_on")
        metrics["no_side"] = no_side
    if documents is not None:
        metrics["documents"] = documents

    out_dir.mkdir(parents=True, exist_ok=True)
    _write_predictions(out_dir, side_rows, labels, y, proba)
    if no_side is not None:
        _write_three_way(out_dir, rows, classifier.labels, full, no_side.pop("decided"))
    figures: dict[str, str] = {}
    if opts.plots:
        figures["confusion"] = plots.confusion(np.array(metrics["confusion_matrix"]), labels, out_dir / "confusion_matrix.png").name
        pr, roc = plots.pr_roc(y, proba, labels, out_dir / "pr_curve.png", out_dir / "roc_curve.png")
        figures["pr"], figures["roc"] = pr.name, roc.name
        figures["reliability"] = plots.reliability(y, raw, proba, opts.calibration_bins, out_dir / "reliability.png").name
        figures["histograms"] = plots.score_histograms(y, proba, labels, out_dir / "score_histograms.png").name
        figures["coverage"] = plots.coverage(curve, opts.target_accuracy, out_dir / "coverage_accuracy.png").name
    metrics["figures"] = figures
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    from stance.evaluation.report import write_reports

    write_reports(out_dir, metrics)
    return metrics


def _no_side_view(classifier: Any, rows: LabelledRows, proba: np.ndarray, opts: EvalOptions, seed: int) -> dict[str, Any]:
    """`predict`'s labels against the three-way gold: macro-F1 with its CI, and how often a sentence that takes no side got one."""
    decided = classifier.labels_from_proba(proba, rows.texts)
    # uncertain is not a side: it counts as taking none
    pred = np.array([THREE_WAY.index(d) if d in THREE_WAY else 2 for d in decided])
    gold = np.array([THREE_WAY.index(g) for g in rows.gold])
    neutral = gold == 2
    macro_f1, macro_f1_ci = three_way_scores(gold, pred, opts.bootstrap_resamples, opts.confidence_level, seed)
    out: dict[str, Any] = {
        "n": int(len(gold)),
        "labels": list(THREE_WAY),
        "macro_f1": macro_f1,
        "macro_f1_ci": macro_f1_ci,
        "accuracy": float(np.mean(gold == pred)),
        "confusion_matrix": np.bincount(gold * 3 + pred, minlength=9).reshape(3, 3).tolist(),
        "no_side_sentences": int(neutral.sum()),
        "no_side_given_a_side": float(np.mean(pred[neutral] != 2)) if neutral.any() else None,
        "side_taken_as_no_side": float(np.mean(pred[~neutral] == 2)) if (~neutral).any() else None,
        "decided": decided,
    }
    return out


def _write_three_way(out_dir: Path, rows: LabelledRows, labels: tuple[str, ...], proba: np.ndarray, decided: list[str]) -> None:
    header = ["text", "gold", "prediction", *[f"p_{n}" for n in labels], "doc_id"]
    doc_ids = rows.meta.get("doc_id", [""] * len(rows.texts))
    records = [[t, g, d, *[f"{p:.6f}" for p in pr], doc] for t, g, d, pr, doc in zip(rows.texts, rows.gold, decided, proba, doc_ids)]
    _write_csv(out_dir / "predictions_three_way.csv", header, records)


def _thin_curve(curve: dict[str, np.ndarray], points: int = 50) -> dict[str, list[float]]:
    idx = np.unique(np.linspace(0, len(curve["coverage"]) - 1, min(points, len(curve["coverage"]))).astype(int))
    return {k: [float(v) for v in curve[k][idx]] for k in ("threshold", "coverage", "accuracy")}


def _baselines(
    labels, rows: LabelledRows, y, pred, train_rows: LabelledRows, opts: EvalOptions, seed: int, model: dict[str, Any], hard: np.ndarray | None
) -> dict[str, Any]:
    """Baselines on the same rows, compared with the model's already computed metrics and CI."""
    from stance.evaluation.baselines import fit_baselines

    k = len(labels)
    models = fit_baselines(labels, train_rows.texts, train_rows.gold_ids(labels), seed)
    model_ci = model["ci"]
    out: dict[str, Any] = {}
    for name, baseline in models.items():
        proba = baseline.predict_proba(rows.texts)
        m = classification_metrics(y, proba, labels)
        ci = bootstrap_ci(y, proba.argmax(axis=1), k, opts.bootstrap_resamples, opts.confidence_level, seed)
        paired = _paired_difference(y, pred, proba.argmax(axis=1), k, opts, seed)
        hard_f1 = group_macro_f1(y[hard], proba.argmax(axis=1)[hard], k) if hard is not None and hard.any() else None
        out[name] = {
            "hard_cases_macro_f1": hard_f1,
            "accuracy": m["accuracy"],
            "macro_f1": m["macro_f1"],
            "balanced_accuracy": m["balanced_accuracy"],
            "mcc": m["mcc"],
            "ci": ci,
            "model_minus_baseline_macro_f1": model["macro_f1"] - m["macro_f1"],
            "paired_ci_model_minus_baseline_macro_f1": paired,
            "ci_overlap_macro_f1": _overlap(model_ci["macro_f1"], ci["macro_f1"]),
        }
    return out


def _overlap(a: list[float] | None, b: list[float] | None) -> bool:
    """Whether two intervals overlap; without an interval nothing can be told apart, so they count as overlapping."""
    return a is None or b is None or not (a[0] > b[1] or b[0] > a[1])


def _hard_case_mask(rows: LabelledRows) -> np.ndarray | None:
    """Rows tagged with any hard-case kind (negation, sarcasm, ...), when the data has tags."""
    tags = rows.meta.get("tags")
    if tags is None:
        return None
    return np.array([bool(t) for t in tags])


def _paired_difference(y, pred_a, pred_b, k, opts: EvalOptions, seed: int) -> list[float]:
    """Bootstrap CI of macro-F1(a) - macro-F1(b) on the same resampled rows."""
    rng = np.random.default_rng(seed + 1)
    n = len(y)
    diffs = np.empty(opts.bootstrap_resamples)
    for i in range(opts.bootstrap_resamples):
        idx = rng.integers(0, n, n)
        diffs[i] = fast_macro_f1(y[idx], pred_a[idx], k) - fast_macro_f1(y[idx], pred_b[idx], k)
    alpha = (1 - opts.confidence_level) / 2
    return [float(np.quantile(diffs, alpha)), float(np.quantile(diffs, 1 - alpha))]


def _breakdowns(rows: LabelledRows, y: np.ndarray, pred: np.ndarray, labels: tuple[str, ...], level: float) -> dict[str, dict[str, dict[str, Any]]]:
    """Accuracy (with its Wilson interval: most groups are small) and macro-F1 per tag and per metadata value.

    Macro-F1 averages over the stances a group's gold rows take (`group_macro_f1`), and `gold` says
    which those are, so a group of one stance is read as what it is: that stance's F1.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for column in BREAKDOWN_COLUMNS:
        values = rows.meta.get(column)
        if values is None:
            continue
        groups: dict[str, list[int]] = defaultdict(list)
        for i, value in enumerate(values):
            keys = (value or ["(untagged)"]) if isinstance(value, list) else [value or "(none)"]
            for key in keys:
                groups[str(key)].append(i)
        if len(groups) < 2 and column != "tags":
            continue
        out[column] = {key: _group_figures(y[idx], pred[idx], labels, level) for key, idx in sorted(groups.items(), key=lambda kv: -len(kv[1]))}
    return out


def _group_figures(y: np.ndarray, pred: np.ndarray, labels: tuple[str, ...], level: float) -> dict[str, Any]:
    """One group's size, gold stances, accuracy with its Wilson interval, and macro-F1 over the stances it holds."""
    right = int(np.sum(y == pred))
    return {
        "n": len(y),
        "gold": {labels[j]: int(c) for j, c in enumerate(np.bincount(y, minlength=len(labels))) if c},
        "accuracy": right / len(y),
        "accuracy_ci": wilson_interval(right, len(y), level),
        "macro_f1": group_macro_f1(y, pred, len(labels)),
    }


def _top_errors(classifier: Any, rows: LabelledRows, labels: tuple[str, ...], y: np.ndarray, proba: np.ndarray, n: int) -> list[dict[str, Any]]:
    """The `n` most confident mistakes with the words that drove each (occlusion), for the report's error table."""
    pred = proba.argmax(axis=1)
    wrong = [i for i in np.argsort(-proba.max(axis=1), kind="stable") if pred[i] != y[i]][:n]
    if not wrong or not hasattr(classifier, "explain"):
        return []
    previous = rows.previous
    explanations = classifier.explain([rows.texts[i] for i in wrong], [previous[i] for i in wrong] if previous else None)
    return [
        {
            "text": rows.texts[i],
            "gold": labels[y[i]],
            "prediction": labels[pred[i]],
            "confidence": float(proba[i].max()),
            "top_words": e.top_words(3),
        }
        for i, e in zip(wrong, explanations)
    ]


def _write_predictions(out_dir: Path, rows: LabelledRows, labels, y, proba) -> None:
    pred = proba.argmax(axis=1)
    confidence = proba.max(axis=1)
    doc_ids = rows.meta.get("doc_id", [""] * len(rows.texts))
    tags = rows.meta.get("tags", [[] for _ in rows.texts])
    kinds = rows.meta.get("kind", [""] * len(rows.texts))
    header = ["text", "gold", "prediction", "confidence", *[f"p_{n}" for n in labels], "doc_id", "kind", "tags"]
    records = []
    for i, text in enumerate(rows.texts):
        records.append(
            [
                text,
                labels[y[i]],
                labels[pred[i]],
                f"{confidence[i]:.6f}",
                *[f"{p:.6f}" for p in proba[i]],
                doc_ids[i],
                kinds[i],
                ";".join(tags[i] or []),
            ]
        )
    _write_csv(out_dir / "predictions.csv", header, records)
    errors = sorted((r for r, yi, pi in zip(records, y, pred) if yi != pi), key=lambda r: -float(r[3]))
    _write_csv(out_dir / "errors.csv", header, errors)


def _write_csv(path: Path, header: list[str], records: list[list[Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(records)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def document_manifest(folder: Path, manifest: Path | None = None) -> list[dict[str, str]]:
    """The rows of the articles' labels.csv (file, doc_stance), every listed file checked to exist.

    `stance-train` calls it before training, so a bad `eval.raw_articles` fails before the run, not after it.
    """
    manifest = manifest or folder / "labels.csv"
    if not manifest.exists():
        raise StanceError("no labels.csv manifest for the articles", where=str(folder), fix="add labels.csv with columns file,doc_stance")
    entries = list(csv_dict_reader(manifest, read_text_file(manifest)))
    for row, entry in enumerate(entries, start=1):
        if not entry.get("file") or not (folder / entry["file"]).is_file():
            raise StanceError(
                f"row {row} names no article in the folder ('{entry.get('file')}')",
                where=str(manifest),
                fix="list files of the folder in the file column",
            )
    return entries


def evaluate_documents(classifier: Any, folder: Path, manifest: Path | None = None) -> dict[str, Any]:
    """Document-level accuracy of `predict_document` on raw articles with a labels.csv manifest."""
    from stance.data.readers import read_text_file

    entries = document_manifest(folder, manifest)
    results = []
    for entry in entries:
        if entry.get("doc_stance") not in classifier.labels:
            continue
        summary = classifier.predict_document(read_text_file(folder / entry["file"]))
        results.append(
            {
                "file": entry["file"],
                "gold": entry["doc_stance"],
                "prediction": summary.stance,
                "shares": summary.shares,
                "sentences": len(summary.sentences),
            }
        )
    correct = sum(r["gold"] == r["prediction"] for r in results)
    return {"documents": len(results), "accuracy": correct / len(results) if results else None, "per_document": results}
