"""Sentence embeddings for diversity: the mean of an encoder's last hidden states over the real tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def load_encoder(source: str) -> tuple[Any, Any]:
    """The encoder (no head) and tokenizer of a trained model folder or a pretrained model, loaded safely."""
    from transformers import AutoModel

    from stance.modeling.loading import load_tokenizer, quiet_transformers

    quiet_transformers()
    return AutoModel.from_pretrained(source, use_safetensors=True, trust_remote_code=False).eval(), load_tokenizer(source)


def sentence_embeddings(encoder: Any, tokenizer: Any, texts: Sequence[str], batch_size: int = 64, max_length: int = 128) -> np.ndarray:
    """One vector per text, in input order (batches formed in length order to pad little)."""
    import torch

    from stance.modeling.encoding import length_sorted_batches, masked_mean

    out = np.zeros((len(texts), encoder.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for index, batch in length_sorted_batches(tokenizer, texts, batch_size, max_length):
            inputs = {k: torch.from_numpy(v) for k, v in batch.items()}
            out[index] = masked_mean(encoder(**inputs).last_hidden_state, inputs["attention_mask"]).float().numpy()
    return out
