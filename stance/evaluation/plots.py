"""Evaluation figures as PNG files (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import precision_recall_curve, roc_curve  # noqa: E402

from stance.modeling.calibration import reliability_bins  # noqa: E402

DPI = 110


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def confusion(cm: np.ndarray, labels: Sequence[str], path: Path) -> Path:
    cm = np.asarray(cm)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, axes = plt.subplots(1, 2, figsize=(5.0 * 2, 4.0))
    for ax, data, title, fmt in ((axes[0], cm, "counts", "d"), (axes[1], norm, "share of each gold row", ".2f")):
        ax.imshow(data, cmap="Blues", vmin=0, vmax=data.max() if data.max() > 0 else 1)
        ax.set_xticks(range(len(labels)), labels, rotation=20)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"Confusion matrix ({title})")
        for i in range(len(labels)):
            for j in range(len(labels)):
                value = format(data[i, j], fmt)
                ax.text(j, i, value, ha="center", va="center", color="white" if data[i, j] > data.max() / 2 else "black")
    return _save(fig, path)


def pr_roc(y_true: np.ndarray, proba: np.ndarray, labels: Sequence[str], pr_path: Path, roc_path: Path) -> tuple[Path, Path]:
    fig_pr, ax_pr = plt.subplots(figsize=(5, 4))
    fig_roc, ax_roc = plt.subplots(figsize=(5, 4))
    for i, name in enumerate(labels):
        gold = np.asarray(y_true) == i
        if gold.all() or not gold.any():
            continue
        precision, recall, _ = precision_recall_curve(gold, proba[:, i])
        fpr, tpr, _ = roc_curve(gold, proba[:, i])
        ax_pr.plot(recall, precision, label=name)
        ax_roc.plot(fpr, tpr, label=name)
    ax_roc.plot([0, 1], [0, 1], ls="--", color="grey", lw=0.8)
    ax_pr.set(xlabel="recall", ylabel="precision", title="Precision-recall (one vs rest)", xlim=(0, 1), ylim=(0, 1.02))
    ax_roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (one vs rest)", xlim=(0, 1), ylim=(0, 1.02))
    ax_pr.legend(loc="lower left")
    ax_roc.legend(loc="lower right")
    return _save(fig_pr, pr_path), _save(fig_roc, roc_path)


def reliability(y_true: np.ndarray, before: np.ndarray, after: np.ndarray, n_bins: int, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5, 4.2))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=0.8, label="perfect calibration")
    for proba, name in ((before, "before temperature scaling"), (after, "after temperature scaling")):
        bins = reliability_bins(proba, y_true, n_bins)
        mask = bins["count"] > 0
        ax.plot(bins["confidence"][mask], bins["accuracy"][mask], marker="o", label=name)
    ax.set(xlabel="confidence (top-class probability)", ylabel="accuracy", title=f"Reliability diagram ({n_bins} bins)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper left")
    return _save(fig, path)


def score_histograms(y_true: np.ndarray, proba: np.ndarray, labels: Sequence[str], path: Path) -> Path:
    fig, axes = plt.subplots(1, len(labels), figsize=(4.2 * len(labels), 3.4), squeeze=False)
    bins = np.linspace(0, 1, 21)
    for i, (ax, name) in enumerate(zip(axes[0], labels)):
        for j, gold_name in enumerate(labels):
            ax.hist(proba[np.asarray(y_true) == j, i], bins=bins, alpha=0.55, label=f"gold {gold_name}")
        ax.set(xlabel=f"P({name})", ylabel="sentences", title=f"Scores for {name}")
        ax.legend()
    return _save(fig, path)


def coverage(curve: dict[str, np.ndarray], target: float, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(curve["coverage"], curve["accuracy"])
    ax.axhline(target, ls="--", color="grey", lw=0.8, label=f"target accuracy {target:.2f}")
    ax.set(xlabel="coverage (share of sentences answered)", ylabel="accuracy on answered", title="Coverage vs accuracy")
    ax.set_xlim(0, 1.0)
    ax.legend(loc="lower left")
    return _save(fig, path)
