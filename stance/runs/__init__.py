"""Run bookkeeping: atomic writes, run folders and provenance, experiment tracking."""
