"""How a sentence (and, for context models, the sentence before it) becomes token ids; batching and pooling for encoders.

Training, inference and annotation encode through `encode`, so a model sees the same input when it
is trained, when it scores, and when it teaches a student (`stance.modeling.distillation`). With context,
the input is a pair: the previous sentence of the same document first, cut to its last
`context_tokens` tokens (the words nearest the sentence), then the sentence itself, which keeps the
rest of the `max_length` budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

CONTEXTS = ("none", "previous")


def encode(
    tokenizer: Any, texts: Sequence[str], max_length: int, previous: Sequence[str] | None = None, context_tokens: int = 0
) -> dict[str, list[list[int]]]:
    """Token ids (and attention masks, token type ids where the model has them) of each text, unpadded."""
    texts = [str(t) for t in texts]
    if previous is None or context_tokens <= 0:
        return dict(tokenizer(texts, truncation=True, max_length=max_length))
    previous = [str(p or "") for p in previous]
    offsets = tokenizer(previous, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    # the context is cut in characters at the start of its last `context_tokens` tokens, so the pair is the tokenizer's own
    context = [p[spans[-context_tokens][0] :] if len(spans) > context_tokens else p for p, spans in zip(previous, offsets)]
    return dict(tokenizer(context, texts, truncation="only_second", max_length=max_length))


def length_sorted_batches(
    tokenizer: Any,
    texts: Sequence[str],
    batch_size: int,
    max_length: int,
    previous: Sequence[str] | None = None,
    context_tokens: int = 0,
) -> list[tuple[np.ndarray, dict[str, np.ndarray]]]:
    """`(row indices, padded numpy batch)` pairs covering `texts`, longest first.

    All texts are tokenised in one call and batches are cut from the token-count order, so a
    batch pads only to the longest of near-equal lengths; longest first lets parallel workers
    start with the costliest batches and finish together.
    """
    encoded = encode(tokenizer, texts, max_length, previous, context_tokens)
    order = np.argsort([-len(ids) for ids in encoded["input_ids"]], kind="stable")
    batches = []
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        features = {name: [values[i] for i in index] for name, values in encoded.items()}
        batches.append((index, dict(tokenizer.pad(features, return_tensors="np"))))
    return batches


def by_length(dataset: Any) -> Any:
    """A tokenised `datasets.Dataset`'s rows in order of token count (stable): sorted batches hardly pad, and order changes no metric."""
    return dataset.select(np.argsort(list(dataset["length"]), kind="stable"))


def masked_mean(hidden: Any, attention_mask: Any) -> Any:
    """Mean of the token vectors over the real tokens (padding left out), one vector per sentence."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
