"""Temperature scaling and calibration error."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax

# the p(neutral) thresholds a three-way model's no-side rule is chosen from
NO_SIDE_GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of `labels` (fitted on validation data)."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)

    result = minimize_scalar(
        lambda log_t: negative_log_likelihood(logits, labels, np.exp(log_t)), bounds=(-3.0, 3.0), method="bounded", options={"xatol": 1e-4}
    )
    return float(np.exp(result.x))


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean -log p(gold) under softmax(logits / temperature)."""
    logits = np.asarray(logits, dtype=np.float64)
    return float(-log_softmax(logits / temperature, axis=1)[np.arange(len(labels)), np.asarray(labels)].mean())


def scaled_probabilities(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    return softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=1)


def reliability_bins(proba: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> dict[str, np.ndarray]:
    """Per-bin confidence, accuracy and count for the top-class prediction (equal-width bins)."""
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == labels).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    conf_sum = np.bincount(index, weights=confidence, minlength=n_bins)
    acc_sum = np.bincount(index, weights=correct, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "edges": edges,
            "count": counts,
            "confidence": np.where(counts > 0, conf_sum / np.maximum(counts, 1), np.nan),
            "accuracy": np.where(counts > 0, acc_sum / np.maximum(counts, 1), np.nan),
        }


def expected_calibration_error(proba: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    bins = reliability_bins(proba, labels, n_bins)
    mask = bins["count"] > 0
    weights = bins["count"][mask] / bins["count"].sum()
    return float(np.sum(weights * np.abs(bins["accuracy"][mask] - bins["confidence"][mask])))


def calibrate(logits: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> dict[str, float]:
    """Fit the temperature on held-out logits (validation) and measure it there: one scoring pass serves both."""
    temperature = fit_temperature(logits, labels)
    return {
        "temperature": temperature,
        "validation_ece_before": expected_calibration_error(scaled_probabilities(logits, 1.0), labels, n_bins),
        "validation_ece_after": expected_calibration_error(scaled_probabilities(logits, temperature), labels, n_bins),
        "validation_nll_before": negative_log_likelihood(logits, labels),
        "validation_nll_after": negative_log_likelihood(logits, labels, temperature),
    }


def decide_no_side(proba: np.ndarray, labels: tuple[str, ...], threshold: float | None, neutral: str = "neutral") -> np.ndarray:
    """The no-side rule of a three-way model, as label ids: `neutral` where p(neutral) reaches `threshold`, else the likelier side.

    With no threshold (a model trained before thresholds were fitted) the most probable label.
    The one statement of the rule: `StanceClassifier.predict`, the threshold's fit and the scripts use it.
    """
    proba = np.asarray(proba)
    if threshold is None:
        return proba.argmax(axis=1)
    n = labels.index(neutral)
    sides = np.array([i for i in range(len(labels)) if i != n])
    return np.where(proba[:, n] >= threshold, n, sides[proba[:, sides].argmax(axis=1)])


def fit_no_side_threshold(proba: np.ndarray, labels_true: np.ndarray, labels: tuple[str, ...], neutral: str = "neutral") -> dict[str, float]:
    """The p(neutral) from which a three-way model says a sentence takes no side: the best three-way macro-F1 on held-out rows.

    A model trained on text where most sentences take a side calls too few of them neutral by
    argmax; a threshold fitted on held-out rows corrects that without retraining. Returns the
    threshold and the validation macro-F1 at it and at argmax.
    """
    from sklearn.metrics import f1_score

    scores = [f1_score(labels_true, decide_no_side(proba, labels, float(t), neutral), average="macro") for t in NO_SIDE_GRID]
    best = float(NO_SIDE_GRID[int(np.argmax(scores))])
    return {
        "no_side_threshold": best,
        "validation_three_way_macro_f1": float(max(scores)),
        "validation_three_way_macro_f1_argmax": float(f1_score(labels_true, proba.argmax(axis=1), average="macro")),
    }


MIN_CALIBRATION_ROWS = 30  # below this many rows of the chosen origins, a fit uses every eligible row (too few to fit on)


def calibration_rows(
    origins: list[str], calibrate_on: tuple[str, ...], eligible: np.ndarray, min_rows: int = MIN_CALIBRATION_ROWS
) -> tuple[np.ndarray, str]:
    """The eligible validation rows of the `calibrate_on` origins, and what they are in words.

    Every eligible row when `calibrate_on` is empty or fewer than `min_rows` rows have those origins
    (a user's own data may have no origin column); the words say so.
    """
    eligible = np.asarray(eligible, dtype=bool)
    if not calibrate_on:
        return eligible, "every row"
    chosen = eligible & np.isin(np.asarray(origins, dtype=object), list(calibrate_on))
    if chosen.sum() < min_rows:
        return eligible, f"every row ({int(chosen.sum())} of origin {', '.join(calibrate_on)}: fewer than {min_rows})"
    return chosen, f"the {', '.join(calibrate_on)} rows"


def fit_no_side_rule(
    logits: np.ndarray,
    labels_true: np.ndarray,
    labels: tuple[str, ...],
    temperature: float,
    origins: list[str],
    calibrate_on: tuple[str, ...],
    min_rows: int = MIN_CALIBRATION_ROWS,
) -> dict[str, object]:
    """The no-side threshold fitted on the validation rows of `calibrate_on` origins, at `temperature`, and which rows fitted it.

    The bundled corpus's neutral rows are easier than real prose's, so the threshold is fitted where
    the register users score is (`calibration_rows` says when there is too little of it).
    """
    rows, fitted_on = calibration_rows(origins, calibrate_on, np.ones(len(labels_true), dtype=bool), min_rows)
    fit = fit_no_side_threshold(scaled_probabilities(np.asarray(logits)[rows], temperature), np.asarray(labels_true)[rows], labels)
    return {**fit, "no_side_threshold_fitted_on": fitted_on, "no_side_threshold_rows": int(rows.sum())}


def fit_side_temperature(
    logits: np.ndarray,
    labels_true: np.ndarray,
    labels: tuple[str, ...],
    origins: list[str],
    calibrate_on: tuple[str, ...],
    n_bins: int = 15,
    min_rows: int = MIN_CALIBRATION_ROWS,
) -> dict[str, object]:
    """The temperature of the binary view (conciliatory vs hardline), fitted on the stance-bearing validation rows of `calibrate_on` origins.

    The binary view renormalises over the two sides, so it is softmax(side logits / T): a
    temperature of its own, fitted on the probability it scales. Real prose is read less surely than
    the bundled corpus, so a temperature fitted on the whole mixed validation split leaves real prose
    over-confident; fitting on the origin users score corrects that (docs/results.md).
    """
    sides = [i for i, name in enumerate(labels) if name != "neutral"]
    chosen, used = calibration_rows(origins, calibrate_on, np.isin(labels_true, sides), min_rows)
    side_logits = np.asarray(logits, dtype=np.float64)[:, sides]
    side_gold = np.searchsorted(sides, np.asarray(labels_true)[chosen])
    temperature = fit_temperature(side_logits[chosen], side_gold)
    return {
        "side_temperature": temperature,
        "side_temperature_rows": int(chosen.sum()),
        "side_temperature_fitted_on": f"{used} (those that take a side)",
        "validation_side_ece_before": expected_calibration_error(scaled_probabilities(side_logits[chosen], 1.0), side_gold, n_bins),
        "validation_side_ece_after": expected_calibration_error(scaled_probabilities(side_logits[chosen], temperature), side_gold, n_bins),
    }
