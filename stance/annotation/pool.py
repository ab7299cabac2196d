"""The unlabelled pool: sentences of raw articles or text tables, each with its neighbours, document and a stable id."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stance.data.cleaning import BoilerplateFilter, dedup_key, normalise_text
from stance.data.readers import Columns, read_sentences


@dataclass
class Candidate:
    id: str
    text: str
    before: str
    after: str
    doc_id: str
    source: str


def sentence_id(source: str, doc_id: str, text: str) -> str:
    """Stable across runs and machines: file name, document and normalised text."""
    return hashlib.sha1(f"{Path(source).name}\x1f{doc_id}\x1f{dedup_key(text)}".encode()).hexdigest()[:12]


def read_pool(
    inputs: Sequence[str],
    columns: Columns,
    exclude: Sequence[str] = ("labels.csv", "*.md"),
    boilerplate: BoilerplateFilter | None = None,
    min_chars: int = 2,
) -> list[Candidate]:
    """Every distinct sentence of `inputs` (cleaned and segmented like stance-prepare; labels, if any, ignored).

    `boilerplate` cleans raw articles and counts what it removes (a fresh default one when None).
    """
    boilerplate = boilerplate or BoilerplateFilter()
    unlabelled = Columns(text=columns.text, label="", doc_id=columns.doc_id, previous=columns.previous)
    by_doc: dict[tuple[str, str], list[str]] = {}
    for raw in read_sentences(inputs, unlabelled, exclude=exclude, boilerplate=boilerplate):
        text = normalise_text(str(raw.text or ""))
        if len(text) >= min_chars:
            by_doc.setdefault((raw.source, raw.doc_id), []).append(text)
    seen: set[str] = set()
    pool = []
    for (source, doc_id), sentences in by_doc.items():
        for i, text in enumerate(sentences):
            key = dedup_key(text)
            if key in seen:
                continue
            seen.add(key)
            before = sentences[i - 1] if i else ""
            after = sentences[i + 1] if i + 1 < len(sentences) else ""
            pool.append(Candidate(sentence_id(source, doc_id, text), text, before, after, doc_id, Path(source).name))
    return pool
