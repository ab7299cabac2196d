"""Perturbed copies of training sentences, for a teacher to label during distillation.

A binary teacher's soft label is one number per sentence, so a few thousand sentences tell a
student little about how the teacher reads. Tang et al. (2019, "Distilling task-specific
knowledge from BERT into simple neural networks") enlarge the transfer set with perturbed copies
of the training sentences: the teacher labels each copy afresh, so a copy that lost its "not" or
its "unless" teaches the student what that word was worth. Copies here drop words, swap in words
drawn from the training vocabulary, and keep clause-sized spans; no copy needs a tagger or a
network.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence

from stance.data.cleaning import dedup_key


def perturbed_copies(
    texts: Sequence[str],
    copies: int,
    *,
    seed: int = 0,
    p_drop: float = 0.1,
    p_swap: float = 0.1,
    p_span: float = 0.25,
    min_words: int = 4,
    skip_texts: Collection[str] = (),
) -> list[tuple[int, str]]:
    """Up to `copies` distinct perturbed copies of each sentence of at least `min_words` words, seeded, each as (index of its sentence, copy).

    Per word: dropped with `p_drop`, else replaced with `p_swap` by a word drawn from all the
    sentences' words (frequent words more often). Then, with `p_span`, only a contiguous span of
    40-90% of the words is kept. Copies equal to an input sentence, to a `skip_texts` sentence or
    to an earlier copy (after `dedup_key`) are discarded, so a short sentence may yield fewer.
    """
    if copies <= 0:
        return []
    rng = random.Random(seed)
    words_of = [str(t).split() for t in texts]
    vocabulary = [w for words in words_of for w in words]
    seen = {dedup_key(str(t)) for t in texts} | {dedup_key(t) for t in skip_texts}
    out: list[tuple[int, str]] = []
    for index, words in enumerate(words_of):
        if len(words) < min_words:
            continue
        made = 0
        for _ in range(copies * 3):  # a few extra draws make up for duplicates
            copy = _perturb(words, vocabulary, rng, p_drop, p_swap, p_span)
            key = dedup_key(copy)
            if len(copy.split()) < 2 or key in seen:
                continue
            seen.add(key)
            out.append((index, copy))
            made += 1
            if made == copies:
                break
    return out


def _perturb(words: list[str], vocabulary: list[str], rng: random.Random, p_drop: float, p_swap: float, p_span: float) -> str:
    kept: list[str] = []
    for word in words:
        roll = rng.random()
        if roll < p_drop:
            continue
        kept.append(rng.choice(vocabulary) if roll < p_drop + p_swap else word)
    if kept and rng.random() < p_span:
        size = max(2, round(len(kept) * rng.uniform(0.4, 0.9)))
        start = rng.randrange(0, max(1, len(kept) - size + 1))
        kept = kept[start : start + size]
    return " ".join(kept)
