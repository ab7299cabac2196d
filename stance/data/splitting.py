"""Seeded train/validation/test assignment, stratified by label and grouped by document."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping

from stance.errors import StanceError


def assign_splits(
    doc_labels: Mapping[str, Counter[str]], ratios: Mapping[str, float], seed: int, fixed: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Map each document id to a split name.

    Documents in `fixed` (an earlier assignment) keep their split and are counted first; the rest are
    placed as below. Without it, one edited label count moves every later placement of its stratum.

    `doc_labels` counts each document's sentences per stratum (a label, or a label within an
    origin). Documents are placed largest first (ties in a seeded random order) into the split
    whose counts fall furthest short of `ratio * (what has been placed so far, this document
    included)` for the strata this document holds. With one sentence per document this reproduces
    exact stratification to within one sentence per stratum and split; with larger documents it
    is as close as whole documents allow. The target grows with what has been placed, so large
    documents spread over every split in proportion: measured against the final totals instead,
    train kept the larger shortfall until it held 70% of everything, and every long document (whole
    addresses, news articles) went to train, leaving validation and test the short ones alone.
    """
    active = {name: r for name, r in ratios.items() if r > 0}
    if abs(sum(ratios.values()) - 1.0) > 1e-6:
        raise StanceError(
            f"split ratios add up to {sum(ratios.values()):.3f}, not 1",
            where="data.splits",
            fix="make train + validation + test = 1 (e.g. 0.8/0.1/0.1)",
        )
    if len(doc_labels) < len(active):
        raise StanceError(
            f"only {len(doc_labels)} document(s) for {len(active)} splits",
            where="data.inputs",
            fix="add more labelled rows or documents, or set a split ratio to 0 (e.g. data.splits.validation=0)",
        )
    totals: Counter[str] = Counter()
    for counts in doc_labels.values():
        totals.update(counts)
    have = {s: Counter() for s in active}
    size_target = {s: r * sum(totals.values()) for s, r in active.items()}

    placed: Counter[str] = Counter()  # sentences per stratum placed so far, over all splits
    assignment: dict[str, str] = {}
    for doc, split in (fixed or {}).items():
        if doc in doc_labels:
            assignment[doc] = split
            have[split].update(doc_labels[doc])
            placed.update(doc_labels[doc])

    order = sorted(d for d in doc_labels if d not in assignment)
    random.Random(seed).shuffle(order)
    order.sort(key=lambda d: -sum(doc_labels[d].values()))

    for position, doc in enumerate(order):
        counts = doc_labels[doc]
        remaining_docs = len(order) - position
        empty = [s for s in active if not have[s]]
        if len(empty) >= remaining_docs:
            # keep every split non-empty when documents are scarce
            choice = max(empty, key=lambda s: size_target[s])
        else:
            size_after = sum(placed.values()) + sum(counts.values())

            def score(s: str, counts: Counter[str] = counts, size_after: int = size_after) -> tuple[float, float]:
                label_gap = sum(c * (active[s] * (placed[label] + c) - have[s][label]) / max(totals[label], 1) for label, c in counts.items())
                size_gap = (active[s] * size_after - sum(have[s].values())) / max(size_target[s], 1e-9)
                return (label_gap, size_gap)

            choice = max(active, key=score)
        assignment[doc] = choice
        have[choice].update(counts)
        placed.update(counts)
    return assignment
