"""Train and serve classifiers of diplomatic stance (conciliatory vs. hardline)."""

from stance.errors import StanceError
from stance.inference.classifier import DocumentPrediction, SentencePrediction, StanceClassifier

__version__ = "0.1.0"
__all__ = ["StanceClassifier", "DocumentPrediction", "SentencePrediction", "StanceError", "__version__"]
