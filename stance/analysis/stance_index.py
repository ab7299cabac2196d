"""Stance over time per actor and counterpart: a confidence-weighted index with a bootstrap interval over documents.

For a set of scored sentences, each stance-bearing label's share is its confidence-weighted share
of the stance-bearing sentences (as in `StanceClassifier.predict_document`; neutral and uncertain
sentences do not vote). The stance index is share hardline minus share conciliatory, from -1 (all
conciliatory) to +1 (all hardline). Sentences of one document are not independent, so the interval
resamples whole documents.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

HARDLINE, CONCILIATORY = "hardline", "conciliatory"
PERIODS = ("month", "quarter", "year")


@dataclass
class ScoredSentence:
    doc_id: str
    actor: str
    counterpart: str
    date: dt.date
    text: str
    label: str
    confidence: float


def period_of(date: dt.date, period: str) -> str:
    """'2024-01' (month), '2024-Q1' (quarter) or '2024' (year): strings that sort in time order."""
    if period == "month":
        return f"{date.year}-{date.month:02d}"
    if period == "quarter":
        return f"{date.year}-Q{(date.month - 1) // 3 + 1}"
    if period == "year":
        return str(date.year)
    raise ValueError(f"unknown period '{period}' (use {', '.join(PERIODS)})")


def _weights(sentences: Sequence[ScoredSentence]) -> tuple[float, float]:
    hard = sum(s.confidence for s in sentences if s.label == HARDLINE)
    conc = sum(s.confidence for s in sentences if s.label == CONCILIATORY)
    return hard, conc


def stance_index(sentences: Sequence[ScoredSentence]) -> float:
    """Share hardline minus share conciliatory among stance-bearing sentences, confidence-weighted (NaN if none)."""
    hard, conc = _weights(sentences)
    total = hard + conc
    return (hard - conc) / total if total else float("nan")


def _bootstrap(docs: list[tuple[float, float]], resamples: int, level: float, rng: np.random.Generator) -> tuple[float, float]:
    weights = np.asarray(docs)  # per document: (hardline weight, conciliatory weight)
    picks = rng.integers(0, len(weights), size=(resamples, len(weights)))
    hard, conc = weights[picks, 0].sum(axis=1), weights[picks, 1].sum(axis=1)
    total = hard + conc
    index = np.divide(hard - conc, total, out=np.full(resamples, np.nan), where=total > 0)
    index = index[~np.isnan(index)]
    if not len(index):
        return float("nan"), float("nan")
    alpha = (1 - level) / 2
    return float(np.quantile(index, alpha)), float(np.quantile(index, 1 - alpha))


def stance_trend(
    sentences: Sequence[ScoredSentence],
    period: str = "quarter",
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> list[dict]:
    """One row per (actor, counterpart, period), in actor, counterpart and time order."""
    cells: dict[tuple[str, str, str], dict[str, list[ScoredSentence]]] = defaultdict(lambda: defaultdict(list))
    for s in sentences:
        cells[(s.actor, s.counterpart, period_of(s.date, period))][s.doc_id].append(s)
    rng = np.random.default_rng(seed)
    rows = []
    for (actor, counterpart, key), docs in sorted(cells.items()):
        members = [s for doc in docs.values() for s in doc]
        hard, conc = _weights(members)
        total = hard + conc
        low, high = _bootstrap([_weights(doc) for doc in docs.values()], resamples, level, rng) if len(docs) > 1 else (float("nan"),) * 2
        rows.append(
            {
                "actor": actor,
                "counterpart": counterpart,
                "period": key,
                "documents": len(docs),
                "sentences": len(members),
                "stance_bearing": sum(1 for s in members if s.label in (HARDLINE, CONCILIATORY)),
                "stance_index": stance_index(members),
                "ci_low": low,
                "ci_high": high,
                "share_hardline": hard / total if total else float("nan"),
                "share_conciliatory": conc / total if total else float("nan"),
            }
        )
    return rows


def evidence(sentences: Sequence[ScoredSentence], period: str, top_k: int = 3) -> dict[tuple[str, str, str], dict[str, list[ScoredSentence]]]:
    """The `top_k` most confident sentences of each side for every (actor, counterpart, period)."""
    out: dict[tuple[str, str, str], dict[str, list[ScoredSentence]]] = defaultdict(lambda: {HARDLINE: [], CONCILIATORY: []})
    for s in sentences:
        if s.label in (HARDLINE, CONCILIATORY):
            out[(s.actor, s.counterpart, period_of(s.date, period))][s.label].append(s)
    for sides in out.values():
        for label in sides:
            sides[label] = sorted(sides[label], key=lambda s: -s.confidence)[:top_k]
    return dict(out)
