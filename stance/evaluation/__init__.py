"""Metrics with confidence intervals, baselines, plots and the evaluation report."""
