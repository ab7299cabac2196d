"""The report's numbers: the fast macro-F1 of the bootstraps is scikit-learn's, and every interval holds its estimate."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from stance.evaluation.metrics import MIN_SENTENCES_FOR_INTERVAL, bootstrap_ci, ci_text, fast_macro_f1, group_macro_f1


@st.composite
def labelled_predictions(draw):
    k = draw(st.integers(2, 4))
    n = draw(st.integers(1, 60))
    gold = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    pred = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    return gold, pred, k


@given(labelled_predictions())
@settings(max_examples=300, deadline=None)
def test_fast_macro_f1_equals_scikit_learn(case):
    gold, pred, k = case
    expected = f1_score(gold, pred, labels=list(range(k)), average="macro", zero_division=0)
    assert abs(fast_macro_f1(gold, pred, k) - expected) < 1e-12


@given(labelled_predictions())
@settings(max_examples=300, deadline=None)
def test_a_group_macro_f1_averages_over_the_labels_its_gold_holds(case):
    gold, pred, k = case
    expected = f1_score(gold, pred, labels=sorted(set(gold.tolist())), average="macro", zero_division=0)
    assert abs(group_macro_f1(gold, pred, k) - expected) < 1e-12
    if len(set(gold.tolist())) == k:
        assert group_macro_f1(gold, pred, k) == fast_macro_f1(gold, pred, k)


@given(labelled_predictions(), st.integers(0, 1000))
@settings(max_examples=60, deadline=None)
def test_bootstrap_intervals_contain_their_point_estimates(case, seed):
    gold, pred, k = case
    ci = bootstrap_ci(gold, pred, k, resamples=200, seed=seed)
    accuracy = float(np.mean(gold == pred))
    macro_f1 = fast_macro_f1(gold, pred, k)
    assert ci["accuracy"][0] - 1e-12 <= accuracy <= ci["accuracy"][1] + 1e-12
    if ci["macro_f1"] is not None:
        assert ci["macro_f1"][0] - 1e-12 <= macro_f1 <= ci["macro_f1"][1] + 1e-12
    else:
        assert len(gold) < MIN_SENTENCES_FOR_INTERVAL or len(set(gold.tolist())) * len(set(pred.tolist())) <= 2 or (gold == pred).all()


def test_a_tiny_perfect_set_is_not_presented_as_certainty():
    gold = np.array([0, 1, 0, 1, 1])
    ci = bootstrap_ci(gold, gold, 2)
    assert ci["accuracy"][0] < 0.6 and ci["accuracy"][1] == 1.0, "5 out of 5 is 57%-100% (Wilson), not 100%-100%"
    assert ci["macro_f1"] is None and "too few sentences (5)" in ci_text(ci["macro_f1"], 5)
    perfect = np.array([0, 1] * 40)
    ci = bootstrap_ci(perfect, perfect, 2)
    assert ci["accuracy"][0] < 0.96 and ci["macro_f1"] is None, "80 out of 80 leaves room below 100%, and every resample agreeing is said"


def test_intervals_are_labelled_with_the_level_they_were_computed_at():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    pred = np.where(rng.random(300) < 0.8, y, 1 - y)
    ci90, ci95 = bootstrap_ci(y, pred, 2, 400, 0.90, 0), bootstrap_ci(y, pred, 2, 400, 0.95, 0)
    assert ci90["level"] == 0.90 and ci95["level"] == 0.95
    width = lambda ci: ci["macro_f1"][1] - ci["macro_f1"][0]  # noqa: E731
    assert width(ci90) < width(ci95)
    assert ci_text(ci90["macro_f1"], 300, level=ci90["level"]).startswith("90% CI ")
    assert ci_text(ci95["macro_f1"], 300).startswith("95% CI ")
