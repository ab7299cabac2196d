"""Which sentences to label next: uncertain ones (small top-two margin), spread over clusters of sentence embeddings.

Margin alone picks near-duplicates of one confusing construction; clustering the most uncertain
candidates and taking the most uncertain of each cluster keeps a round's labels varied. Without a
model there is no uncertainty yet: the seed round takes the sentence nearest each cluster centre of a
random sample, so the first labels already cover the archive's kinds of sentence.
"""

from __future__ import annotations

import numpy as np

STRATEGIES = ("margin_diverse", "margin", "random")


def margins(proba: np.ndarray) -> np.ndarray:
    """Top-two probability gap per row: 0 = the model cannot decide, 1 = certain."""
    top = np.sort(proba, axis=1)
    return top[:, -1] - top[:, -2]


def _kmeans(vectors: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(vectors)
    return model.labels_, model.cluster_centers_


def _normalise(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def select(
    n: int,
    seed: int,
    embeddings: np.ndarray,
    proba: np.ndarray | None = None,
    strategy: str = "margin_diverse",
    pool_factor: int = 5,
) -> list[int]:
    """Indices (into the pool) of the next `n` sentences to label, most useful first."""
    size = len(embeddings)
    n = min(n, size)
    if n <= 0:
        return []
    rng = np.random.default_rng(seed)
    if strategy == "random":
        return [int(i) for i in rng.choice(size, n, replace=False)]
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy '{strategy}' (use {', '.join(STRATEGIES)})")
    if proba is None:  # seed round: cover the pool
        sample = rng.choice(size, min(size, max(20 * n, n)), replace=False)
        vectors = _normalise(embeddings[sample])
        assignment, centres = _kmeans(vectors, n, seed)
        picks = []
        for c in range(n):
            members = np.flatnonzero(assignment == c)
            picks.append(int(sample[members[np.argmax(vectors[members] @ centres[c])]]))
        return picks
    order = np.argsort(margins(proba), kind="stable")
    if strategy == "margin":
        return [int(i) for i in order[:n]]
    candidates = order[: min(size, n * pool_factor)]
    assignment, _ = _kmeans(_normalise(embeddings[candidates]), n, seed)
    picks = []
    for c in range(n):
        members = candidates[assignment == c]
        if len(members):
            picks.append(int(members[0]))  # candidates are in margin order: the most uncertain of the cluster
    rest = [int(i) for i in candidates if int(i) not in set(picks)]
    picks += rest[: n - len(picks)]
    return sorted(picks, key=lambda i: margins(proba[[i]])[0])
