"""Analyst tools on top of a trained model: stance trends over time (and their evidence)."""
