"""Batching sentences for an encoder and pooling its output: shared by inference, distillation and annotation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def length_sorted_batches(tokenizer: Any, texts: Sequence[str], batch_size: int, max_length: int) -> list[tuple[np.ndarray, dict[str, np.ndarray]]]:
    """`(row indices, padded numpy batch)` pairs covering `texts`, longest first.

    All texts are tokenised in one call and batches are cut from the token-count order, so a
    batch pads only to the longest of near-equal lengths; longest first lets parallel workers
    start with the costliest batches and finish together.
    """
    encoded = tokenizer([str(t) for t in texts], truncation=True, max_length=max_length)
    order = np.argsort([-len(ids) for ids in encoded["input_ids"]], kind="stable")
    batches = []
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        features = {name: [values[i] for i in index] for name, values in encoded.items()}
        batches.append((index, dict(tokenizer.pad(features, return_tensors="np"))))
    return batches


def masked_mean(hidden: Any, attention_mask: Any) -> Any:
    """Mean of the token vectors over the real tokens (padding left out), one vector per sentence."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
