"""Temperature scaling: fitted on held-out logits, applied by predict_proba."""

import numpy as np
import pytest
from scipy.special import softmax

from stance.modeling.calibration import (
    calibrate,
    calibration_rows,
    expected_calibration_error,
    fit_no_side_rule,
    fit_no_side_threshold,
    fit_side_temperature,
    fit_temperature,
    negative_log_likelihood,
    scaled_probabilities,
)


def overconfident_logits(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits of a model that is right 75% of the time but says 99%: the shape of an over-fitted classifier."""
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, 2, n)
    predicted = np.where(rng.random(n) < 0.75, gold, 1 - gold)
    logits = np.zeros((n, 2))
    logits[np.arange(n), predicted] = 4.6  # softmax([4.6, 0]) = 0.99
    return logits, gold


def test_fitting_overconfident_logits_gives_a_temperature_above_one_and_a_lower_nll():
    logits, gold = overconfident_logits()
    temperature = fit_temperature(logits, gold)
    assert temperature > 1.5
    assert negative_log_likelihood(logits, gold, temperature) < negative_log_likelihood(logits, gold) - 0.3
    # the fitted confidence matches the accuracy it comes with
    assert scaled_probabilities(logits, temperature).max(axis=1).mean() == pytest.approx(0.75, abs=0.02)


def test_calibrate_reports_the_validation_error_before_and_after_from_one_set_of_logits():
    logits, gold = overconfident_logits()
    report = calibrate(logits, gold, n_bins=15)
    assert report["temperature"] == pytest.approx(fit_temperature(logits, gold))
    assert report["validation_ece_before"] == pytest.approx(expected_calibration_error(scaled_probabilities(logits), gold, 15))
    assert report["validation_ece_after"] < 0.05 < report["validation_ece_before"]
    assert report["validation_nll_after"] < report["validation_nll_before"]


def test_predict_proba_is_the_softmax_of_the_logits_over_the_temperature(tiny_model_dir):
    from stance.inference.backends import TorchBackend
    from stance.inference.classifier import StanceClassifier
    from stance.modeling.loading import load_for_training

    model, tokenizer = load_for_training(str(tiny_model_dir), ("conciliatory", "hardline"))
    clf = StanceClassifier(TorchBackend(model.eval()), tokenizer, ("conciliatory", "hardline"), temperature=2.5)
    texts = ["We are ready to talk.", "Any attack will be met with force.", "The meeting is on Monday."]
    np.testing.assert_allclose(clf.predict_proba(texts), softmax(clf.logits(texts) / 2.5, axis=1), rtol=1e-6)
    clf.temperature = 1.0
    assert not np.allclose(clf.predict_proba(texts), softmax(clf.logits(texts) / 2.5, axis=1))


THREE = ("conciliatory", "hardline", "neutral")


def mixed_validation(real_rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Three-way validation logits: calibrated corpus rows, over-confident real rows (right 75%, saying 99%), and neutral rows."""
    rng = np.random.default_rng(seed)
    margin = rng.normal(0.0, 2.0, 600)
    # calibrated by construction: hardline with probability sigmoid(margin)
    corpus_gold = (rng.random(600) < 1 / (1 + np.exp(-margin))).astype(int)
    corpus = np.stack([np.zeros(600), margin, np.full(600, -5.0)], axis=1)
    real, real_gold = overconfident_logits(real_rows, seed)
    real = np.concatenate([real, np.full((real_rows, 1), -5.0)], axis=1)
    # neutral rows a binary view must ignore: wildly over-confident sides
    neutral = np.tile([9.0, 0.0, 0.0], (100, 1))
    logits = np.concatenate([corpus, real, neutral])
    gold = np.concatenate([corpus_gold, real_gold, np.full(100, 2)])
    return logits, gold, ["bundled"] * 600 + ["real"] * real_rows + ["real"] * 100


def test_the_binary_views_temperature_is_fitted_on_the_stance_bearing_rows_of_the_chosen_origins():
    logits, gold, origins = mixed_validation(real_rows=300)
    real = fit_side_temperature(logits, gold, THREE, origins, ("real",))
    everything = fit_side_temperature(logits, gold, THREE, origins, ())
    assert real["side_temperature_rows"] == 300 and everything["side_temperature_rows"] == 900, "neutral rows never fit the binary view"
    stance_real = np.arange(600, 900)
    assert real["side_temperature"] == pytest.approx(fit_temperature(logits[stance_real][:, :2], gold[stance_real]))
    # the real rows' over-confidence needs a larger temperature than the mixture gives
    assert real["side_temperature"] > everything["side_temperature"] + 0.5
    assert real["validation_side_ece_after"] < 0.05 < real["validation_side_ece_before"]


def test_too_few_rows_of_the_chosen_origins_fall_back_to_every_stance_bearing_row_and_say_so():
    logits, gold, origins = mixed_validation(real_rows=10)
    fit = fit_side_temperature(logits, gold, THREE, origins, ("real",), min_rows=30)
    assert fit["side_temperature_rows"] == 610
    assert "fewer than 30" in fit["side_temperature_fitted_on"]


def test_calibration_rows_keep_the_eligible_rows_of_the_chosen_origins():
    origins = ["real", "bundled", "real", "written_news", ""]
    eligible = np.array([True, True, False, True, True])
    rows, words = calibration_rows(origins, ("real", "written_news"), eligible, min_rows=2)
    assert rows.tolist() == [True, False, False, True, False] and words == "the real, written_news rows"
    rows, words = calibration_rows(origins, (), eligible)
    assert rows.tolist() == eligible.tolist() and words == "every row"


def test_side_proba_uses_the_side_temperature_and_predict_proba_keeps_its_own(tiny_model_dir):
    from stance.inference.backends import TorchBackend
    from stance.inference.classifier import StanceClassifier
    from stance.modeling.loading import load_for_training

    model, tokenizer = load_for_training(str(tiny_model_dir), THREE)
    clf = StanceClassifier(TorchBackend(model.eval()), tokenizer, THREE, temperature=1.5, side_temperature=3.0)
    texts = ["We are ready to talk.", "Any attack will be met with force."]
    logits = clf.logits(texts)
    np.testing.assert_allclose(clf.side_proba(texts), softmax(logits[:, :2] / 3.0, axis=1), rtol=1e-5)
    np.testing.assert_allclose(clf.predict_proba(texts), softmax(logits / 1.5, axis=1), rtol=1e-5)
    clf.side_temperature = None  # an older model folder: the binary view renormalises the calibrated three-way probabilities
    three = softmax(logits / 1.5, axis=1)[:, :2]
    np.testing.assert_allclose(clf.side_proba(texts), three / three.sum(axis=1, keepdims=True), rtol=1e-5)


def test_the_no_side_threshold_is_fitted_on_the_rows_of_the_chosen_origins_only():
    logits, gold, origins = mixed_validation(real_rows=300)
    fit = fit_no_side_rule(logits, gold, THREE, 1.2, origins, ("real",))
    real = np.array([o == "real" for o in origins])
    alone = fit_no_side_threshold(scaled_probabilities(logits[real], 1.2), gold[real], THREE)
    assert fit["no_side_threshold"] == alone["no_side_threshold"] and fit["no_side_threshold_rows"] == 400
    assert fit["no_side_threshold_fitted_on"] == "the real rows"
