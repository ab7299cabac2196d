"""The configured label set: canonical names, synonyms, and labels that are known but dropped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

SIDES = ("conciliatory", "hardline")
"""The two stances a sentence can take; the binary headline is scored on them."""
CONCILIATORY, HARDLINE = SIDES
NEUTRAL = "neutral"
"""The label of a sentence that takes no side."""
THREE_WAY = (*SIDES, NEUTRAL)
"""The three-way label set, in the order the reports print it."""


def index_of(labels: Sequence[str], weights: Sequence[float] | None = None) -> float | None:
    """The stance index: weighted share hardline minus share conciliatory among the labels that take a side.

    From -1 (all conciliatory) to +1 (all hardline); neutral and uncertain labels do not vote; None
    when nothing takes a side. The one definition behind `predict_document`, `stance-trend` and the
    running-text yardstick.
    """
    weights = [1.0] * len(labels) if weights is None else weights
    hard = sum(w for label, w in zip(labels, weights) if label == HARDLINE)
    conc = sum(w for label, w in zip(labels, weights) if label == CONCILIATORY)
    return (hard - conc) / (hard + conc) if hard + conc else None


DROP = object()
"""Returned by `LabelScheme.normalise` for a known label that this label set leaves out."""

DEFAULT_SYNONYMS: dict[str, str] = {
    "dovish": "conciliatory",
    "dove": "conciliatory",
    "conciliation": "conciliatory",
    "hawkish": "hardline",
    "hawk": "hardline",
    "hard-line": "hardline",
    "hard line": "hardline",
    "none": "neutral",
    "no stance": "neutral",
}


def _key(value: str) -> str:
    return " ".join(value.strip().casefold().replace("_", " ").split())


@dataclass(frozen=True)
class LabelScheme:
    """Maps raw label cells onto an ordered tuple of canonical label names."""

    names: tuple[str, ...]
    drop: tuple[str, ...] = ()
    synonyms: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.names) < 2:
            raise ValueError("a label set needs at least two labels")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"duplicate label names in {list(self.names)}")

    def normalise(self, raw: Any) -> str | object:
        """Canonical label name, `DROP`, or raise `KeyError` (unknown) / `ValueError` (empty)."""
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            raise ValueError("empty label")
        key = _key(str(raw))
        if not key or key in {"nan", "null"}:
            raise ValueError("empty label")
        lookup = {_key(n): n for n in self.names}
        dropped = {_key(n) for n in self.drop}
        synonyms = {_key(k): _key(v) for k, v in {**DEFAULT_SYNONYMS, **self.synonyms}.items()}
        key = synonyms.get(key, key)
        if key in lookup:
            return lookup[key]
        if key in dropped:
            return DROP
        raise KeyError(str(raw))

    def allowed(self) -> str:
        return ", ".join(self.names)

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.names))

    @property
    def label2id(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.names)}
