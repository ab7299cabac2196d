"""Sentence segmentation of raw articles with pysbd (rule-based, abbreviation- and quote-aware)."""

from __future__ import annotations

import re
from functools import lru_cache

import pysbd

from stance.data.cleaning import BoilerplateFilter, normalise_text

# Abbreviations pysbd does not list, so it ends a sentence at them ("at approx. | 7:40 a.m.",
# "incl. | delegations", "on Wed. | evening"): 27 of the 40 bundled raw articles were cut at one.
_UNLISTED_ABBREVIATION = re.compile(
    r"\b(?:approx|incl|excl|est|ca|vs|yrs|hrs|mins|vol|nos|pp|cf|ibid|art|arts|para|paras|ch|fig|figs"
    r"|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.$",
    re.IGNORECASE,
)
# Titles it does not list, which a name follows ("Amb. | Linda Thomas-Greenfield", "Pres. | Ruto").
_UNLISTED_TITLE = re.compile(r"(?:^|\s)(?:Amb|Ambs|Pres|Hon|Rt|Sen|Sens|Rep|Reps|Gov|Sec|Secy)\.$")
# What only continues a sentence after such an abbreviation: a lowercase word, a number or an amount.
_CONTINUATION = re.compile(r"^[a-z0-9$€£¥]")
# pysbd also ends pieces at enumerations ("the talks covered | (i) the hotline; | (ii) aid; | ; and | (iii) ..."):
# a piece that does not end in final punctuation, or one that opens with a clause separator, is not a sentence.
_SENTENCE_END = re.compile(r"[.!?…][\"”’)\]]*$")
_OPENS_MIDWAY = re.compile(r"^[,;:]")
# A quotation that ends a sentence followed at once by one that opens the next: pysbd keeps the two
# together ('... "entirely peaceful." "Who gave these inspectors ...').
_QUOTE_AFTER_QUOTE = re.compile(r"(?<=[.!?][\"”’])\s+(?=[\"“‘][A-Z])")


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _repaired(pieces: list[str]) -> list[str]:
    """pysbd's pieces with its known misses mended: fragments joined to their sentence, quotations split apart."""
    joined: list[str] = []
    for piece in pieces:
        opens_midway = _OPENS_MIDWAY.match(piece)
        if joined and (
            opens_midway
            or not _SENTENCE_END.search(joined[-1])
            or (_CONTINUATION.match(piece) and _UNLISTED_ABBREVIATION.search(joined[-1]))
            or _UNLISTED_TITLE.search(joined[-1])
        ):
            joined[-1] += piece if opens_midway else f" {piece}"
        else:
            joined.append(piece)
    return [part for piece in joined for part in _QUOTE_AFTER_QUOTE.split(piece)]


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, normalised, empty pieces dropped."""
    pieces = [s for s in (normalise_text(p) for p in _segmenter().segment(paragraph)) if s]
    return _repaired(pieces)


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
