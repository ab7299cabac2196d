"""Train and serve classifiers of diplomatic stance (conciliatory, hardline, or no side).

The library's entry points: `from stance import StanceClassifier, train_model`.
"""

from typing import Any

from stance.errors import StanceError
from stance.inference.classifier import DocumentPrediction, SentencePrediction, StanceClassifier

__version__ = "0.1.0"
__all__ = ["StanceClassifier", "DocumentPrediction", "SentencePrediction", "StanceError", "train_model", "__version__"]


def train_model(*args: Any, **kwargs: Any) -> Any:
    """Fine-tune, calibrate, evaluate and publish a run from Python; see `stance.runs.training.train_model`."""
    from stance.runs.training import train_model as _train_model

    return _train_model(*args, **kwargs)
