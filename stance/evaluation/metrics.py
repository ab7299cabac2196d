"""Classification metrics from scikit-learn, plus seeded bootstrap confidence intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    log_loss,
    matthews_corrcoef,
    precision_recall_fscore_support,
    roc_auc_score,
)


def classification_metrics(y_true: np.ndarray, proba: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Every headline metric for integer gold labels and a probability matrix (columns = labels)."""
    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=np.float64)
    k = len(labels)
    ids = list(range(k))
    y_pred = proba.argmax(axis=1)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    out: dict[str, Any] = {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=ids, average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(y_true, y_pred, labels=ids, average="weighted", zero_division=0)),
        "mcc": float(matthews_corrcoef(y_true, y_pred)),
        "cohen_kappa": float(cohen_kappa_score(y_true, y_pred, labels=ids)),
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for name, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=ids).tolist(),
        "log_loss": float(log_loss(y_true, np.clip(proba, 1e-12, 1.0), labels=ids)),
        "brier": brier_score(y_true, proba),
    }
    out.update(ranking_metrics(y_true, proba, labels))
    return out


def brier_score(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Multi-class Brier score: mean over rows of the squared distance to the one-hot gold vector."""
    onehot = np.eye(proba.shape[1])[np.asarray(y_true)]
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def ranking_metrics(y_true: np.ndarray, proba: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """ROC-AUC and PR-AUC (average precision); one-vs-rest macro averages when there are >2 labels."""
    present = np.unique(y_true)
    if len(present) < 2:
        return {"roc_auc": None, "pr_auc": None}
    if len(labels) == 2:
        roc = roc_auc_score(y_true, proba[:, 1])
        pr = {name: float(average_precision_score(y_true == i, proba[:, i])) for i, name in enumerate(labels)}
    else:
        roc = roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=list(range(len(labels))))
        pr = {name: float(average_precision_score(y_true == i, proba[:, i])) for i, name in enumerate(labels) if i in present}
    return {"roc_auc": float(roc), "pr_auc": float(np.mean(list(pr.values()))), "pr_auc_per_class": pr}


def fast_macro_f1(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> float:
    """Macro-F1 from confusion counts (equal to sklearn's with zero_division=0); used in bootstraps."""
    f1, _ = _per_label_f1(y_true, y_pred, k)
    return float(f1.mean())


def _per_label_f1(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each label's F1 (0 where it has neither gold nor predicted rows) and its gold support, from confusion counts."""
    cm = np.bincount(np.asarray(y_true) * k + np.asarray(y_pred), minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1)
    denom = cm.sum(axis=0) + support
    return np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0), support


def group_macro_f1(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> float:
    """Macro-F1 of a group of rows (a hard-case tag, a register), averaged over the labels its gold rows hold.

    Over every label, one with no gold row scores 0 whatever the model does (scikit-learn warns that
    its F1 is ill-defined), so a group whose gold sentences all take one stance, such as polite
    refusals (always hardline), reads 0.500 when every one of them is called right. Its mistakes
    still count: they lower that stance's recall. Equal to `fast_macro_f1` when every label occurs.
    """
    f1, support = _per_label_f1(y_true, y_pred, k)
    return float(f1[support > 0].mean()) if support.any() else 0.0


MIN_SENTENCES_FOR_INTERVAL = 30  # below this a macro-F1 interval would be mostly resampling noise: none is given


def constant_macro_f1(y_true: np.ndarray, k: int) -> float:
    """The best macro-F1 that giving every row one label earns: what a model that ignores the text scores."""
    y_true = np.asarray(y_true)
    return max(fast_macro_f1(y_true, np.full(len(y_true), label), k) for label in range(k))


STUCK_SPREAD = 0.01  # a model whose every class probability varies less than this (std) across rows answers them all alike


def probability_spread(logits: np.ndarray) -> float:
    """The largest standard deviation, over the classes, of the softmax probabilities across rows (0: every row answered alike)."""
    logits = np.asarray(logits, dtype=float)
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    return float(proba.std(axis=0).max()) if len(proba) else 0.0


def learned_nothing(logits: np.ndarray, y_true: np.ndarray) -> bool:
    """True when a model gives every row nearly the same probabilities and its answers score no better than one label for every row.

    Both, so that a model whose answers are one label by argmax but whose probabilities still rank the
    rows (a rare class under a strong prior, which a threshold can use) is not taken for a stuck one.
    Macro-F1 over every label of the model. Judged on 30 rows or more with two labels at least.
    """
    logits, y_true = np.asarray(logits), np.asarray(y_true)
    if len(y_true) < MIN_SENTENCES_FOR_INTERVAL or len(np.unique(y_true)) < 2 or probability_spread(logits) >= STUCK_SPREAD:
        return False
    k = logits.shape[1]
    return fast_macro_f1(y_true, logits.argmax(axis=1), k) <= constant_macro_f1(y_true, k) + 1e-9


def wilson_interval(successes: int, n: int, level: float = 0.95) -> list[float]:
    """Wilson score interval of a proportion: never collapses at 0% or 100%, and always holds the observed proportion."""
    from scipy.stats import norm

    if n == 0:
        return [0.0, 1.0]
    z = float(norm.ppf(1 - (1 - level) / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [float(max(0.0, min(p, centre - half))), float(min(1.0, max(p, centre + half)))]


def bootstrap_ci(
    y_true: np.ndarray, y_pred: np.ndarray, k: int, resamples: int = 1000, level: float = 0.95, seed: int = 0
) -> dict[str, list[float] | None]:
    """Intervals at `level` (kept as "level"): accuracy by the Wilson score interval, macro-F1 by a percentile bootstrap of rows.

    Neither presents certainty a sample cannot give: the Wilson interval of 5 out of 5 is 57%-100%,
    and macro-F1 gets no interval (None) from fewer than `MIN_SENTENCES_FOR_INTERVAL` rows or when
    every resample gives the same value (a perfect small set), where the report says so instead.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    n = len(y_true)
    accuracy = wilson_interval(int(np.sum(y_true == y_pred)), n, level)
    if n < MIN_SENTENCES_FOR_INTERVAL:
        return {"accuracy": accuracy, "macro_f1": None, "level": level}
    rng = np.random.default_rng(seed)
    mf1 = np.empty(resamples)
    for i in range(resamples):
        idx = rng.integers(0, n, n)
        mf1[i] = fast_macro_f1(y_true[idx], y_pred[idx], k)
    alpha = (1 - level) / 2
    low, high = float(np.quantile(mf1, alpha)), float(np.quantile(mf1, 1 - alpha))
    return {"accuracy": accuracy, "macro_f1": None if low == high else [low, high], "level": level}


def three_way_scores(gold: np.ndarray, pred: np.ndarray, resamples: int, level: float, seed: int) -> tuple[float | None, list[float] | None]:
    """Three-way macro-F1 (conciliatory, hardline, neutral = ids 0, 1, 2) and its bootstrap interval.

    Both are None when the gold holds no sentence that takes no side: the neutral class would then
    score 0 whatever the model did (two right answers would read 0.667), so the figure says nothing.
    """
    if not (np.asarray(gold) == 2).any():
        return None, None
    return fast_macro_f1(gold, pred, 3), bootstrap_ci(gold, pred, 3, resamples, level, seed)["macro_f1"]


def ci_text(ci: list[float] | None, n: int, digits: int = 3, level: float = 0.95) -> str:
    """'95% CI a-b' (at `level`, the one the interval was computed at), or why there is no interval."""
    if ci is None:
        return f"no interval: too few sentences ({n}) or every resample agreed"
    return f"{level:.0%} CI {ci[0]:.{digits}f}-{ci[1]:.{digits}f}"


def ci_of(figures: dict, key: str = "macro_f1_ci") -> str:
    """`ci_text` for a run summary's figures: the interval under `key`, their n and the level it was computed at.

    Summaries saved before the level was kept were all computed at 0.95.
    """
    return ci_text(figures[key], figures["n"], level=figures.get("ci_level", 0.95))


def coverage_curve(y_true: np.ndarray, proba: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy on the kept rows as the confidence threshold rises (selective classification)."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == np.asarray(y_true)
    order = np.argsort(-confidence, kind="stable")
    kept = np.arange(1, len(order) + 1)
    accuracy = np.cumsum(correct[order]) / kept
    return {"threshold": confidence[order], "coverage": kept / len(order), "accuracy": accuracy}


def threshold_for_accuracy(curve: dict[str, np.ndarray], target: float) -> dict[str, float] | None:
    """Lowest confidence threshold whose kept rows reach `target` accuracy (max coverage)."""
    ok = np.nonzero(curve["accuracy"] >= target)[0]
    if len(ok) == 0:
        return None
    i = ok.max()
    return {"threshold": float(curve["threshold"][i]), "coverage": float(curve["coverage"][i]), "accuracy": float(curve["accuracy"][i])}
