"""sklearn-shaped inference over a trained model folder.

What each kind of model returns:

- `predict_proba(texts)`: calibrated probabilities, one column per label of the model, in
  `clf.labels` order (saved with the model): two columns for a binary model, three for a model
  with `neutral`. `side_proba(texts)` is the binary view: conciliatory vs hardline, renormalised
  over the two stances and scaled by the model's `side_temperature` (fitted on real-prose
  validation rows, see `stance.modeling.calibration.fit_side_temperature`; for a binary model it
  differs from `predict_proba` only by that temperature).
- `predict(texts)`: one label per text. A sentence that takes no side is `neutral`: a model with
  `neutral` says so when p(neutral) reaches its `no_side_threshold` (fitted on validation when it
  was trained), and any model says so for a news line that is not content (a dateline, byline or
  credit). A binary model otherwise always names a side. With `min_confidence`, a side below that
  probability becomes `uncertain`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, overload

import numpy as np

from stance.data.labels import NEUTRAL, index_of
from stance.errors import StanceError, check_setting
from stance.inference.backends import Backend, TorchBackend, parallel_context
from stance.modeling.calibration import decide_no_side, scaled_probabilities
from stance.modeling.encoding import length_sorted_batches
from stance.modeling.settings import read_settings, saved_context_budget

UNCERTAIN = "uncertain"
# sentences tokenised and length-sorted together: large enough for tight batches, small enough
# that a million-sentence archive never sits in memory as token ids all at once
SORT_WINDOW = 4096


class TruncationWarning(UserWarning):
    """Sentences longer than the model's max length were cut before scoring."""


def check_min_confidence(value: float | None, where: str = "min_confidence") -> None:
    """A side below `min_confidence` becomes "uncertain": a probability strictly between 0 and 1, or None for never."""
    check_setting(value is None or 0 < value < 1, where, value, "a probability between 0 and 1, e.g. 0.8, or null for never")


@dataclass
class SentencePrediction:
    text: str
    label: str  # a side, `neutral` (takes no side) or `uncertain` (below min_confidence)
    confidence: float  # the probability of `label` (a news line's `neutral` is forced: 1.0 for a binary model, else p(neutral))
    probabilities: dict[str, float]
    content: bool = True  # False for a news line (dateline, byline, credit): it never votes


@dataclass
class DocumentPrediction:
    """A document's stance from the sentences that take a side (neutral and uncertain ones do not vote).

    `shares`: each side's confidence-weighted share of the stance-bearing sentences; `index`: share
    hardline minus share conciliatory, from -1 to +1 (None when no sentence takes a side).
    """

    stance: str
    shares: dict[str, float]
    sentences: list[SentencePrediction]
    strongest: dict[str, list[SentencePrediction]] = field(default_factory=dict)
    stance_bearing: int = 0
    index: float | None = None
    removed: dict[str, int] = field(default_factory=dict)  # what cleaning took out of the article, by kind (never scored)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class StanceClassifier:
    """Classify sentences as conciliatory / hardline (/ neutral) with a fine-tuned encoder.

    Labels are strings at the edges; `labels` holds the order of `predict_proba` columns, read
    from the saved model (`config.json` id2label) and never re-derived.
    """

    def __init__(
        self,
        backend: Backend,
        tokenizer: Any,
        labels: Sequence[str],
        *,
        temperature: float = 1.0,
        side_temperature: float | None = None,
        max_length: int = 128,
        batch_size: int = 64,
        min_confidence: float | None = None,
        no_side_threshold: float | None = None,
        context: str = "none",
        context_tokens: int = 0,
    ) -> None:
        self.backend = backend
        self.tokenizer = tokenizer
        self.labels = tuple(labels)
        self.temperature = float(temperature)
        # the binary view's own temperature (None: the same as `temperature`)
        self.side_temperature = None if side_temperature is None else float(side_temperature)
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        check_setting(self.batch_size >= 1, "batch_size", batch_size, "a whole number from 1, e.g. 64")
        check_min_confidence(min_confidence)
        self.min_confidence = min_confidence
        # with neutral: neutral when p(neutral) >= this (None: the most probable label); binary: neutral when the top side is below it
        self.no_side_threshold = no_side_threshold
        self.context = context  # "previous": the model reads each sentence after the one before it
        self.context_tokens = int(context_tokens)
        self.progress = False  # the CLIs switch on a progress bar (shown only on a terminal)
        self._memo: dict[tuple[str, str], np.ndarray] | None = None  # logits by (text, previous) inside `remembering()`

    @property
    def sides(self) -> tuple[str, ...]:
        """The labels that take a side (every label but neutral), in `labels` order."""
        return tuple(n for n in self.labels if n != NEUTRAL)

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        *,
        backend: str = "torch",
        batch_size: int = 64,
        min_confidence: float | None = None,
        allow_pickle_weights: bool = False,
        onnx_rescore: bool = True,
    ) -> StanceClassifier:
        """Load a folder written by `stance-train` (or any save_pretrained classifier folder).

        `backend="onnx"` runs the int8 graph written by `stance-export` when there is one; with
        `onnx_rescore`, its near ties are scored again with the fp32 graph (see `stance.inference.onnx_backend`).
        """
        from stance.modeling.loading import load_tokenizer, saved_labels

        folder = Path(path).expanduser()
        settings = read_settings(folder)
        if backend == "torch":
            from stance.modeling.loading import load_trained

            model, tokenizer, labels = load_trained(folder, allow_pickle_weights)
            engine: Any = TorchBackend(model)
        elif backend == "onnx":
            from stance.inference.onnx_backend import OnnxBackend

            labels = saved_labels(folder)
            tokenizer = load_tokenizer(str(folder))
            engine = OnnxBackend.load(folder, rescore=onnx_rescore)
        else:
            raise StanceError(f"unknown backend '{backend}'", where="predict.backend", fix="use torch or onnx")
        return cls(
            engine,
            tokenizer,
            labels,
            temperature=settings.get("temperature", 1.0),
            side_temperature=settings.get("side_temperature"),
            max_length=settings.get("max_length", 128),
            batch_size=batch_size,
            min_confidence=min_confidence if min_confidence is not None else settings.get("min_confidence"),
            no_side_threshold=settings.get("no_side_threshold"),
            context=settings.get("context", "none"),
            context_tokens=saved_context_budget(settings),
        )

    def logits(self, texts: Sequence[str], previous: Sequence[str] | None = None) -> np.ndarray:
        """Raw (uncalibrated) logits, in input order.

        A sentence that occurs more than once (with the same previous sentence, for a context
        model) is scored once; inside `remembering()`, once for the whole block. Each window of
        sentences is tokenised in one call, sorted by token count (longest first) and cut into
        batches, so a batch pads only to the longest of near-equal lengths; backends that declare
        `workers > 1` score that many batches at once. A context model reads each text after its
        `previous` sentence ("" where there is none, or when `previous` is None).
        """
        texts = [str(t) for t in texts]
        if self.context == "previous":
            previous = [str(p or "") for p in previous] if previous is not None else [""] * len(texts)
            if len(previous) != len(texts):
                raise ValueError(f"{len(previous)} previous sentences for {len(texts)} texts")
        else:
            previous = None
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        keys = list(zip(texts, previous)) if previous is not None else [(t, "") for t in texts]
        memo = self._memo if self._memo is not None else {}
        todo = [k for k in dict.fromkeys(keys) if k not in memo]
        if todo:
            scored = self._score_texts([t for t, _ in todo], [p for _, p in todo] if previous is not None else None)
            memo.update(zip(todo, scored))
        return np.stack([memo[k] for k in keys])

    @contextmanager
    def remembering(self) -> Iterator[None]:
        """Score each distinct sentence once within the block, across calls (logits are kept until the block ends).

        An evaluation reads the bundled raw articles twice, as documents and as running text; their
        sentences need scoring once. Outside the block nothing is kept, so an archive's memory stays flat.
        """
        outer = self._memo
        self._memo = {} if outer is None else outer
        try:
            yield
        finally:
            self._memo = outer

    def _score_texts(self, texts: list[str], previous: list[str] | None) -> np.ndarray:
        """Logits of each text in order (see `logits`), every one scored (`logits` never passes an empty list)."""
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        self._warn_if_cut(texts)
        workers = int(getattr(self.backend, "workers", 1)) if len(texts) > self.batch_size else 1
        with ExitStack() as stack:
            pool = None
            if workers > 1:
                stack.enter_context(parallel_context(self.backend))
                pool = stack.enter_context(ThreadPoolExecutor(workers))
            bar = None
            if self.progress and len(texts) > 4 * self.batch_size:
                from tqdm.auto import tqdm

                bar = stack.enter_context(tqdm(total=len(texts), desc="scoring", unit="sentence", disable=None, leave=False))
            for offset in range(0, len(texts), SORT_WINDOW):
                window = slice(offset, offset + SORT_WINDOW)
                context = previous[window] if previous is not None else None
                batches = length_sorted_batches(self.tokenizer, texts[window], self.batch_size, self.max_length, context, self.context_tokens)
                for index, logits in pool.map(self._score, batches) if pool else map(self._score, batches):
                    out[offset + index] = logits
                    if bar is not None:
                        bar.update(len(index))
        return out

    def _warn_if_cut(self, texts: Sequence[str]) -> None:
        """Warn (`TruncationWarning`) when sentences exceed `max_length` tokens: only the start of each is scored."""
        # a token is rarely under two characters, so shorter texts cannot overflow and are not tokenised twice
        long = [t for t in texts if len(t) > 2 * self.max_length]
        if not long:
            return
        lengths = [len(ids) for ids in self.tokenizer(long, truncation=False)["input_ids"]]
        cut = [(n, t) for n, t in zip(lengths, long) if n > self.max_length]
        if cut:
            longest, example = max(cut)
            warnings.warn(
                f"{len(cut)} sentence(s) longer than the model's {self.max_length} tokens were cut to their first {self.max_length} "
                f'(the longest had {longest} tokens: "{example[:60]}..."); split long passages into sentences, e.g. pass them as an article',
                TruncationWarning,
                stacklevel=4,  # the caller of logits (via _score_texts)
            )

    def _score(self, item: tuple[np.ndarray, dict[str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        index, batch = item
        return index, self.backend(batch)

    def predict_proba(self, texts: str | Sequence[str], previous: Sequence[str] | None = None) -> np.ndarray:
        """Calibrated class probabilities, columns in `self.labels` order."""
        batch = [texts] if isinstance(texts, str) else list(texts)
        return scaled_probabilities(self.logits(batch, previous), self.temperature)

    def side_proba(self, texts: str | Sequence[str], previous: Sequence[str] | None = None) -> np.ndarray:
        """Conciliatory vs hardline, renormalised over the two stances: columns in `self.sides` order."""
        batch = [texts] if isinstance(texts, str) else list(texts)
        return self.side_probabilities(self.logits(batch, previous))

    def side_probabilities(self, logits: np.ndarray, temperature: float | None = None) -> np.ndarray:
        """The binary view of raw logits: softmax over the side columns at `temperature` (default: the model's side temperature)."""
        if temperature is None:
            temperature = self.temperature if self.side_temperature is None else self.side_temperature
        columns = [self.labels.index(n) for n in self.sides]
        return scaled_probabilities(np.asarray(logits)[:, columns], temperature)

    @overload
    def predict(self, texts: str, previous: Sequence[str] | None = None) -> str: ...
    @overload
    def predict(self, texts: Sequence[str], previous: Sequence[str] | None = None) -> list[str]: ...

    def predict(self, texts: str | Sequence[str], previous: Sequence[str] | None = None) -> str | list[str]:
        """One label per text: a side, `neutral` where it takes no side, `uncertain` below `min_confidence` (see the module docstring)."""
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        labels = self.labels_from_proba(self.predict_proba(batch, previous), batch)
        return labels[0] if single else labels

    def labels_from_proba(self, proba: np.ndarray, texts: Sequence[str] | None = None) -> list[str]:
        """The decision rule of `predict`, from probabilities (and the texts, so news lines take no side)."""
        from stance.data.cleaning import is_news_line

        proba = np.asarray(proba)
        if NEUTRAL in self.labels:
            decided = [self.labels[i] for i in decide_no_side(proba, self.labels, self.no_side_threshold, NEUTRAL)]
        else:  # a binary model: no side where the likelier side stays below the threshold
            below = proba.max(axis=1) < self.no_side_threshold if self.no_side_threshold is not None else np.zeros(len(proba), bool)
            decided = [NEUTRAL if cut else self.labels[i] for i, cut in zip(proba.argmax(axis=1), below)]
        out = []
        for i, p in enumerate(proba):
            label = NEUTRAL if texts is not None and is_news_line(texts[i]) else decided[i]
            if self.min_confidence is not None and label != NEUTRAL and p[self.labels.index(label)] < self.min_confidence:
                label = UNCERTAIN
            out.append(label)
        return out

    def predict_sentences(self, texts: Sequence[str], previous: Sequence[str] | None = None) -> list[SentencePrediction]:
        """One `SentencePrediction` per text (label, its calibrated probability, every class probability).

        `previous` (the sentence before each, "" when none) is read by models trained with context.
        """
        from stance.data.cleaning import is_news_line

        texts = [str(t) for t in texts]
        proba = self.predict_proba(texts, previous)
        labels = self.labels_from_proba(proba, texts)
        out = []
        for text, label, p in zip(texts, labels, proba):
            content = not is_news_line(text)
            confidence = float(p[self.labels.index(label)]) if label in self.labels else float(p.max()) if content else 1.0
            out.append(SentencePrediction(text, label, confidence, {n: float(v) for n, v in zip(self.labels, p)}, content))
        return out

    def explain(self, texts: str | Sequence[str], previous: Sequence[str] | None = None) -> list[Any]:
        """Per-word contributions to the label `predict` gives (occlusion; see `stance.inference.explanation`).

        The label explained is `predict`'s own (the no-side threshold applied; for an "uncertain"
        sentence, its likelier side), read with the sentence before where the model uses it; each
        variant with a word deleted keeps its sentence's `previous`. Contributions are drops of the
        uncalibrated probability: temperature scaling never reorders them, and a large fitted
        temperature would squeeze them below float precision.
        """
        from stance.inference.explanation import occlusion, words_of

        batch = [texts] if isinstance(texts, str) else [str(t) for t in texts]
        before = [str(p or "") for p in previous] if previous is not None else [""] * len(batch)
        reported = self.predict(batch, before)
        targets = [self.labels.index(label) if label in self.labels else None for label in reported]
        # occlusion scores the originals, then each text's variants (one per word) in order: repeat each previous to match
        aligned = before + [p for t, p in zip(batch, before) for _ in words_of(t)]
        explanations = occlusion(batch, lambda items: scaled_probabilities(self.logits(items, aligned[: len(items)]), 1.0), self.labels, targets)
        # the reported probability is the calibrated one, as predict_proba gives it
        for explanation, p in zip(explanations, self.predict_proba(batch, before)):
            explanation.probability = float(p[self.labels.index(explanation.label)])
        return explanations

    def predict_document(self, article: str, top_k: int = 3) -> DocumentPrediction:
        """Clean and segment an article like `stance-prepare`, classify each sentence, summarise.

        The document stance is the label with the largest confidence-weighted share among the
        stance-bearing sentences (neutral and uncertain ones do not vote). `removed` counts the lines
        and pieces cleaning took out (datelines, bylines, credits, boilerplate), which are never scored.
        """
        from stance.data.cleaning import BoilerplateFilter
        from stance.data.segmentation import article_sentences

        cleaning = BoilerplateFilter()
        sentences = article_sentences(article, cleaning)
        if not sentences:
            raise StanceError("the article holds no sentences after cleaning", fix="pass the article text, not an empty string")
        summary = self._summarise(self.predict_sentences(sentences, [""] + sentences[:-1]), top_k)
        summary.removed = dict(sorted(cleaning.removed.items()))
        return summary

    def _summarise(self, predictions: list[SentencePrediction], top_k: int) -> DocumentPrediction:
        voting = [n for n in self.labels if n != NEUTRAL]
        weight = {n: 0.0 for n in voting}
        for p in predictions:
            if p.label in weight:
                weight[p.label] += p.confidence
        total = sum(weight.values())
        shares = {n: (w / total if total else 0.0) for n, w in weight.items()}
        stance = max(shares, key=shares.get) if total else NEUTRAL
        strongest = {n: sorted((p for p in predictions if p.label == n), key=lambda p: -p.confidence)[:top_k] for n in voting}
        index = index_of([p.label for p in predictions], [p.confidence for p in predictions])
        bearing = sum(1 for p in predictions if p.label in weight)
        return DocumentPrediction(stance=stance, shares=shares, sentences=predictions, strongest=strongest, stance_bearing=bearing, index=index)
