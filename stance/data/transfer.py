"""Unlabelled sentences for distillation, read like stance-prepare and never from held-out documents.

A student learns from its teacher's probabilities on these sentences, so any sentence of a
validation, test or development document would leak that document into training: those
documents and any sentence equal to a held-out one are left out.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence

from stance.data.cleaning import BoilerplateFilter, dedup_key, normalise_text
from stance.data.readers import Columns, read_sentences


def transfer_sentences(
    inputs: Sequence[str],
    *,
    held_out_docs: Collection[str] = (),
    skip_texts: Collection[str] = (),
    columns: Columns | None = None,
    exclude: Sequence[str] = ("labels.csv", "*.md"),
    boilerplate_patterns: Sequence[str] = (),
    min_chars: int = 2,
    max_sentences: int | None = None,
    seed: int = 0,
) -> list[tuple[str, str]]:
    """Distinct sentences of `inputs` (labels ignored), each with the sentence before it in its document ("" if none).

    Held-out documents and texts are left out; a seeded sample is taken if capped. `skip_texts`
    (held-out sentences, and sentences already in the train split) are compared after `dedup_key`
    normalisation, like de-duplication in prepare. The sentence before is what a teacher or student
    trained with context (`model.context=previous`) reads first.
    """
    columns = Columns(text=(columns or Columns()).text, label="", doc_id=(columns or Columns()).doc_id)
    boilerplate = BoilerplateFilter(boilerplate_patterns)
    blocked = {dedup_key(t) for t in skip_texts}
    held_docs = set(held_out_docs)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for raw in read_sentences(inputs, columns, exclude=exclude, boilerplate=boilerplate):
        if raw.doc_id in held_docs:
            continue
        text = normalise_text(str(raw.text or ""))
        key = dedup_key(text)
        if len(text) < min_chars or key in blocked or key in seen:
            continue
        seen.add(key)
        out.append((text, normalise_text(str(raw.previous or ""))))
    if max_sentences is not None and len(out) > max_sentences:
        out = random.Random(seed).sample(out, max_sentences)
    return out
