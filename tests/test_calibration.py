"""Temperature scaling: fitted on held-out logits, applied by predict_proba."""

import numpy as np
import pytest
from scipy.special import softmax

from stance.modeling.calibration import calibrate, expected_calibration_error, fit_temperature, negative_log_likelihood, scaled_probabilities


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
