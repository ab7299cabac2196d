"""The report's numbers: the fast macro-F1 of the bootstraps is scikit-learn's, and every interval holds its estimate."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from stance.evaluation.metrics import bootstrap_ci, fast_macro_f1


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


@given(labelled_predictions(), st.integers(0, 1000))
@settings(max_examples=60, deadline=None)
def test_bootstrap_intervals_contain_their_point_estimates(case, seed):
    gold, pred, k = case
    ci = bootstrap_ci(gold, pred, k, resamples=200, seed=seed)
    accuracy = float(np.mean(gold == pred))
    macro_f1 = fast_macro_f1(gold, pred, k)
    assert ci["accuracy"][0] - 1e-12 <= accuracy <= ci["accuracy"][1] + 1e-12
    assert ci["macro_f1"][0] - 1e-12 <= macro_f1 <= ci["macro_f1"][1] + 1e-12
