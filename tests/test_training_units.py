import numpy as np
import pytest

from stance.errors import StanceError
from stance.training import class_weight_vector


def test_balanced_weights_are_inverse_frequency():
    weights = class_weight_vector("balanced", ("a", "b"), np.array([0, 0, 0, 1]), {})
    assert weights == pytest.approx([4 / (2 * 3), 4 / (2 * 1)])


def test_explicit_weights_follow_label_order_and_need_every_label():
    assert list(class_weight_vector("explicit", ("a", "b"), np.array([0, 1]), {"b": 2.0, "a": 1.0})) == [1.0, 2.0]
    with pytest.raises(StanceError, match="no weight for label"):
        class_weight_vector("explicit", ("a", "b"), np.array([0, 1]), {"a": 1.0})


def test_no_weights_and_unknown_mode():
    assert class_weight_vector("none", ("a", "b"), np.array([0, 1]), {}) is None
    with pytest.raises(StanceError, match="trainer.class_weights"):
        class_weight_vector("inverse", ("a", "b"), np.array([0, 1]), {})
