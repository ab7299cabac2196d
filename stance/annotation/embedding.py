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

    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.zeros((len(texts), encoder.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            batch = tokenizer([texts[i] for i in index], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
            hidden = encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            out[index] = ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).float().numpy()
    return out
