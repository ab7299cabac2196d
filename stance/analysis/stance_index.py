"""Stance over time per actor and counterpart: a confidence-weighted index with an interval over documents.

For a set of scored sentences, each stance-bearing label's share is its confidence-weighted share
of the stance-bearing sentences (as in `StanceClassifier.predict_document`; neutral and uncertain
sentences do not vote). The stance index is share hardline minus share conciliatory, from -1 (all
conciliatory) to +1 (all hardline).

The interval. Sentences of one document are not independent, so documents are the unit. A plain
bootstrap of documents collapses when they agree: two or five documents that are all hardline give
"+1.00 to +1.00", certainty that a handful of statements cannot support. The interval here is a
Bayesian bootstrap with a weak prior (Rubin 1981, "The Bayesian bootstrap"; the posterior of a
Dirichlet process, Ferguson 1973): each draw weighs the documents by Dirichlet(1, ..., 1) weights and
adds one pseudo-document, of prior weight `PRIOR_DOCUMENTS` and of the average document's size,
whose index is drawn uniformly from -1 to +1 — the documents not seen. With many documents the
pseudo-document's weight vanishes and the interval is the Bayesian bootstrap's; with few it keeps
the interval honest. Below `min_documents` no interval is given: the report says "too few documents".

The pseudo-document pulls every draw towards 0, so when the documents agree the observed index can
lie beyond the draws (+1.00 with an upper bound of +0.99). An interval that excludes its own
estimate reads as a contradiction, so it is widened to reach the estimate: documents that all
agree cannot rule out that every document agrees.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stance.data.labels import CONCILIATORY, HARDLINE, index_of

PERIODS = ("month", "quarter", "year")
PRIOR_DOCUMENTS = 1.0  # weight of the prior pseudo-document, in documents


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


def period_start(key: str) -> dt.date:
    """The first day of a period written by `period_of` ('2024-01', '2024-Q1', '2024')."""
    if "-Q" in key:
        year, quarter = key.split("-Q")
        return dt.date(int(year), 3 * (int(quarter) - 1) + 1, 1)
    if "-" in key:
        year, month = key.split("-")
        return dt.date(int(year), int(month), 1)
    return dt.date(int(key), 1, 1)


def next_period(key: str, period: str) -> str:
    """The period right after `key`: consecutive periods are joined on a chart, others leave a gap."""
    start = period_start(key)
    if period == "year":
        return str(start.year + 1)
    months = 3 if period == "quarter" else 1
    month = start.month - 1 + months
    return period_of(dt.date(start.year + month // 12, month % 12 + 1, 1), period)


def _weights(sentences: Sequence[ScoredSentence]) -> tuple[float, float]:
    hard = sum(s.confidence for s in sentences if s.label == HARDLINE)
    conc = sum(s.confidence for s in sentences if s.label == CONCILIATORY)
    return hard, conc


def stance_index(sentences: Sequence[ScoredSentence]) -> float:
    """Share hardline minus share conciliatory among stance-bearing sentences, confidence-weighted (NaN if none)."""
    value = index_of([s.label for s in sentences], [s.confidence for s in sentences])
    return float("nan") if value is None else value


def document_interval(docs: list[tuple[float, float]], resamples: int, level: float, rng: np.random.Generator) -> tuple[float, float]:
    """Bayesian-bootstrap interval of the index over documents, with one prior pseudo-document (see the module docstring).

    `docs` holds each document's (hardline weight, conciliatory weight); documents with no
    stance-bearing sentence carry no weight.
    """
    weights = np.asarray([d for d in docs if d[0] + d[1] > 0], dtype=float)
    if not len(weights):
        return float("nan"), float("nan")
    size = weights.sum(axis=1).mean()
    draw = rng.dirichlet(np.r_[PRIOR_DOCUMENTS, np.ones(len(weights))], size=resamples)
    prior_index = rng.uniform(-1.0, 1.0, size=resamples)
    lean = draw[:, 1:] @ (weights[:, 0] - weights[:, 1]) + draw[:, 0] * prior_index * size
    mass = draw[:, 1:] @ weights.sum(axis=1) + draw[:, 0] * size
    index = lean / mass
    alpha = (1 - level) / 2
    return float(np.quantile(index, alpha)), float(np.quantile(index, 1 - alpha))


def stance_trend(
    sentences: Sequence[ScoredSentence],
    period: str = "quarter",
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    min_documents: int = 2,
) -> list[dict]:
    """One row per (actor, counterpart, period), in actor, counterpart and time order.

    `ci_low`/`ci_high` are NaN where fewer than `min_documents` documents take a side (`too_few` is True).
    """
    cells: dict[tuple[str, str, str], dict[str, list[ScoredSentence]]] = defaultdict(lambda: defaultdict(list))
    for s in sentences:
        cells[(s.actor, s.counterpart, period_of(s.date, period))][s.doc_id].append(s)
    rng = np.random.default_rng(seed)
    rows = []
    for (actor, counterpart, key), docs in sorted(cells.items()):
        members = [s for doc in docs.values() for s in doc]
        hard, conc = _weights(members)
        total = hard + conc
        voting = [w for w in (_weights(doc) for doc in docs.values()) if w[0] + w[1] > 0]
        too_few = len(voting) < min_documents
        index = stance_index(members)
        low, high = (float("nan"),) * 2 if too_few else document_interval(voting, resamples, level, rng)
        if not too_few:  # the interval reaches its own estimate (see the module docstring)
            low, high = min(low, index), max(high, index)
        rows.append(
            {
                "actor": actor,
                "counterpart": counterpart,
                "period": key,
                "documents": len(docs),
                "sentences": len(members),
                "stance_bearing": sum(1 for s in members if s.label in (HARDLINE, CONCILIATORY)),
                "stance_index": index,
                "ci_low": low,
                "ci_high": high,
                "share_hardline": hard / total if total else float("nan"),
                "share_conciliatory": conc / total if total else float("nan"),
                "voting_documents": len(voting),
                "too_few": too_few,
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
