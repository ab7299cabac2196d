"""Sentence segmentation of raw articles with pysbd (rule-based, abbreviation- and quote-aware)."""

from __future__ import annotations

from functools import lru_cache

import pysbd

from stance.data.cleaning import BoilerplateFilter, normalise_text


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, normalised, empty pieces dropped."""
    pieces = _segmenter().segment(paragraph)
    return [s for s in (normalise_text(p) for p in pieces) if s]


def article_sentences(text: str, boilerplate: BoilerplateFilter | None = None) -> list[str]:
    """Clean a scraped article and return its sentences in reading order.

    Paragraphs are segmented separately so that a headline without final punctuation does not
    swallow the first sentence of the body.
    """
    boilerplate = boilerplate or BoilerplateFilter()
    sentences: list[str] = []
    for paragraph in boilerplate.clean_article(text):
        sentences.extend(split_sentences(paragraph))
    return sentences
