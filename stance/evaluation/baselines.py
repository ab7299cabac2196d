"""Reference classifiers trained or defined on the same splits as the transformer.

- `majority`: always the most frequent training label.
- `lexicon`: counts documented cue phrases for each stance (below) and picks the label with more
  cues; a cue preceded within three words by a negator ("not", "no", "never", "without") counts
  for the other side. With no cue it predicts `neutral` when that label exists, else the training
  majority. It is what a keyword search of an archive would do.
- `tfidf_lr`: a scikit-learn Pipeline of word 1-2-gram TF-IDF and logistic regression.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

CONCILIATORY_CUES = (
    "dialogue",
    "talks",
    "negotiat",
    "ready to",
    "willing",
    "open to",
    "welcome",
    "cooperat",
    "partner",
    "de-escalat",
    "restraint",
    "compromise",
    "peaceful",
    "reconcil",
    "goodwill",
    "mutual",
    "common ground",
    "together",
    "friendship",
    "constructive",
    "thank",
    "appreciate",
    "reassure",
    "confidence-building",
    "ceasefire",
    "agreement",
    "settlement",
    "diplomatic solution",
    "door remains open",
    "olive branch",
)
HARDLINE_CUES = (
    "condemn",
    "reject",
    "refuse",
    "never",
    "warn",
    "threat",
    "ultimatum",
    "retaliat",
    "sanction",
    "red line",
    "provocat",
    "aggress",
    "unacceptable",
    "demand",
    "violation",
    "hostile",
    "punish",
    "consequences",
    "will not tolerate",
    "all necessary measures",
    "firmly oppose",
    "protest",
    "blame",
    "accuse",
    "illegal",
    "expel",
    "responsible for",
    "force",
    "out of the question",
    "no longer",
)
NEGATORS = ("not", "no", "never", "without", "nor", "n't")


def _cue_count(text: str, cues: Sequence[str]) -> tuple[int, int]:
    """(plain hits, negated hits) for the cues in a lower-cased sentence."""
    plain = negated = 0
    for cue in cues:
        for match in re.finditer(re.escape(cue), text):
            before = text[: match.start()].split()[-3:]
            if any(w.strip(",.;:'\"") in NEGATORS or w.endswith("n't") for w in before):
                negated += 1
            else:
                plain += 1
    return plain, negated


class LexiconBaseline:
    """The documented keyword rule; `predict_proba` turns cue margins into smooth scores."""

    def __init__(self, labels: Sequence[str], fallback: str) -> None:
        self.labels = tuple(labels)
        self.fallback = fallback

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.labels)))
        for row, text in enumerate(texts):
            lowered = text.lower()
            c_plain, c_neg = _cue_count(lowered, CONCILIATORY_CUES)
            h_plain, h_neg = _cue_count(lowered, HARDLINE_CUES)
            conciliatory = c_plain + h_neg
            hardline = h_plain + c_neg
            for i, name in enumerate(self.labels):
                if name == "conciliatory":
                    out[row, i] = conciliatory
                elif name == "hardline":
                    out[row, i] = hardline
                elif name == "neutral":
                    out[row, i] = 0.5 if conciliatory == hardline == 0 else 0.0
            if not out[row].any():
                out[row, self.labels.index(self.fallback)] = 0.1
        return out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        scores = self.scores(texts)
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)


class MajorityBaseline:
    def __init__(self, train_labels: np.ndarray, k: int) -> None:
        counts = np.bincount(np.asarray(train_labels), minlength=k).astype(float)
        self.prior = counts / counts.sum()
        # argmax of the prior is the majority class; ties go to the lower id, as in sklearn's DummyClassifier
        self.majority = int(np.argmax(counts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        proba = np.tile(self.prior, (len(texts), 1))
        # keep the majority strictly on top so argmax is well defined
        proba[:, self.majority] += 1e-9
        return proba / proba.sum(axis=1, keepdims=True)


def tfidf_logreg(seed: int = 0) -> Pipeline:
    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True)),
            ("logreg", LogisticRegression(max_iter=2000, C=10.0, random_state=seed)),
        ]
    )


class TfidfBaseline:
    def __init__(self, train_texts: Sequence[str], train_labels: np.ndarray, k: int, seed: int = 0) -> None:
        self.k = k
        self.pipeline = tfidf_logreg(seed).fit(list(train_texts), np.asarray(train_labels))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        proba = self.pipeline.predict_proba(list(texts))
        out = np.zeros((len(texts), self.k))
        out[:, self.pipeline.classes_] = proba
        return out


def fit_baselines(labels: Sequence[str], train_texts: Sequence[str], train_labels: np.ndarray, seed: int = 0) -> dict[str, object]:
    k = len(labels)
    majority = MajorityBaseline(train_labels, k)
    return {
        "majority": majority,
        "lexicon": LexiconBaseline(labels, fallback=labels[majority.majority]),
        "tfidf_lr": TfidfBaseline(train_texts, train_labels, k, seed),
    }
