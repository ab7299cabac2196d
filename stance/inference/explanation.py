"""Why the model said so: word occlusion (how much the predicted label's probability drops when a word is deleted).

Occlusion asks the model itself, so it is faithful by construction to single deletions, needs no
gradients (it works the same on the torch and ONNX backends) and costs one extra forward pass per
word, batched with everything else. Integrated Gradients would attribute sub-word tokens through a
baseline embedding; for sentence-length inputs and analysts who read words, deleting the word is
the more direct question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"\S+")


def words_of(text: str) -> list[str]:
    """The words occlusion deletes one at a time (whitespace-separated tokens, punctuation attached)."""
    return _WORD.findall(text)


_EDGE = re.compile(r"^[^\w]+|[^\w]+$")


@dataclass
class Explanation:
    text: str
    label: str
    probability: float
    words: list[str]
    contributions: list[float]  # drop of `label`'s probability when the word is deleted (negative: the word argued against it)

    def top_words(self, k: int = 3) -> list[str]:
        """The `k` words that supported the prediction most, punctuation stripped (ties keep sentence order)."""
        order = sorted(range(len(self.words)), key=lambda i: -self.contributions[i])
        picked = [_EDGE.sub("", self.words[i]) for i in order if self.contributions[i] > 0]
        return [w for w in picked if w][:k]

    def to_dict(self) -> dict:
        return {"label": self.label, "probability": self.probability, "words": list(zip(self.words, self.contributions))}


def without_word(words: Sequence[str], i: int) -> str:
    return " ".join(words[:i] + words[i + 1 :])


def occlusion(
    texts: Sequence[str],
    predict_proba: Callable[[list[str]], np.ndarray],
    labels: Sequence[str],
    targets: Sequence[int | None] | None = None,
) -> list[Explanation]:
    """One explanation per text: every word deleted in turn, all variants scored in one batch.

    Each text explains `targets[i]` (a label index: the label the caller reports) or, where that is
    None, the most probable label. `predict_proba` scores texts in the order given: the originals,
    then each text's variants in turn (a caller that needs per-text context can rely on that order).
    """
    split = [words_of(t) for t in texts]
    variants = [without_word(words, i) for words in split for i in range(len(words))]
    proba = predict_proba([*texts, *variants])
    base, occluded = proba[: len(texts)], proba[len(texts) :]
    out, offset = [], 0
    for n, (text, words, p) in enumerate(zip(texts, split, base)):
        target = targets[n] if targets is not None else None
        top = int(p.argmax()) if target is None else int(target)
        drops = p[top] - occluded[offset : offset + len(words), top]
        offset += len(words)
        out.append(Explanation(text, labels[top], float(p[top]), words, [float(d) for d in drops]))
    return out
