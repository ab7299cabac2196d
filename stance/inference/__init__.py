"""Scoring text with a trained model: StanceClassifier and its torch and ONNX backends."""
