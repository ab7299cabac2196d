"""Labelled sentences to score: a prepared split, or any labelled files read like stance-prepare, and the held-out-set guard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from stance.data.dataset import DataOptions
from stance.errors import StanceError


@dataclass
class LabelledRows:
    """Sentences with gold label names and optional metadata columns (tags as lists)."""

    texts: list[str]
    gold: list[str]
    meta: dict[str, list[Any]]

    @classmethod
    def from_dataset(cls, split: Any) -> LabelledRows:
        names = split.features["label"].names
        if any(v < 0 for v in split["label"]):
            raise StanceError("split has unlabelled rows", fix="evaluate on train, validation or test")
        meta = {c: list(split[c]) for c in split.column_names if c not in ("text", "label")}
        return cls(list(split["text"]), [names[i] for i in split["label"]], meta)

    @property
    def previous(self) -> list[str] | None:
        """The sentence before each row in its document, when the rows carry it."""
        values = self.meta.get("previous")
        return None if values is None else [str(v or "") for v in values]

    def subset(self, mask: np.ndarray) -> LabelledRows:
        keep = np.flatnonzero(mask)
        return LabelledRows([self.texts[i] for i in keep], [self.gold[i] for i in keep], {k: [v[i] for i in keep] for k, v in self.meta.items()})

    def gold_ids(self, labels: Sequence[str]) -> np.ndarray:
        unknown = sorted(set(self.gold) - set(labels))
        if unknown:
            raise StanceError(
                f"the data has label(s) {', '.join(unknown)} that the model does not know (model labels: {', '.join(labels)})",
                where="model_dir",
                fix="evaluate with data of the model's label set (e.g. the same data.labels as in training)",
            )
        index = {n: i for i, n in enumerate(labels)}
        return np.array([index[g] for g in self.gold], dtype=int)


def read_labelled(data: DataOptions, inputs: Sequence[str], labels: Sequence[str]) -> LabelledRows:
    """Every labelled row of `inputs`, read, cleaned and de-duplicated like stance-prepare, in a model's label set.

    Labels of `data` that the model does not have (neutral, for a binary model) are dropped and
    counted like `data.drop_labels`.
    """
    import tempfile

    from stance.data.dataset import SplitRatios, load_prepared, prepare_dataset

    drop = [n for n in [*data.drop_labels, *data.labels] if n not in labels]
    with tempfile.TemporaryDirectory() as tmp:
        opts = replace(
            data,
            inputs=[str(i) for i in inputs],
            labels=list(labels),
            drop_labels=drop,
            splits=SplitRatios(train=0.0, validation=0.0, test=1.0),
            train_only_origins=[],  # the training data's split rules say nothing about a held-out file: every row is scored
            splits_from=None,
            output_dir=str(Path(tmp) / "external"),
        )
        prepare_dataset(opts)
        return LabelledRows.from_dataset(load_prepared(opts.prepared_dir)["test"])


def held_out_rows(data: DataOptions, path: str, labels: Sequence[str], trained_on: Sequence[str], what: str, setting: str) -> LabelledRows | None:
    """A held-out set (e.g. the real-text dev set) in the label set `labels` (the model's plus neutral); refused if any sentence is in `trained_on`.

    None when the set's labels cannot be mapped onto the model's (a note says so).
    """
    import sys

    from stance.data.cleaning import dedup_key

    try:
        rows = read_labelled(data, [path], labels)
    except StanceError as err:
        if "unknown label" not in str(err):
            raise
        print(f"stance: note: {what} skipped: its labels are not this model's ({', '.join(labels)})", file=sys.stderr)
        return None
    seen = {dedup_key(t) for t in trained_on}
    leaked = [t for t in rows.texts if dedup_key(t) in seen]
    if leaked:
        raise StanceError(
            f'{len(leaked)} sentence(s) of the {what} are in the training data (e.g. "{leaked[0][:60]}")',
            where=str(path),
            fix=f"remove it from data.inputs: it must never be trained on (or set {setting}=null)",
        )
    return rows


def held_out_running(path: str, trained_on: Sequence[str]) -> Any:
    """The running-text yardstick (`stance.evaluation.running.RunningText`), refused if any sentence is in `trained_on`."""
    from stance.data.cleaning import dedup_key
    from stance.evaluation.running import RunningText

    running = RunningText.read(path)
    seen = {dedup_key(t) for t in trained_on}
    # stock forms of address ("Gentlemen of the Senate and House of Representatives:") open many documents: not a leak
    leaked = [t for t in running.texts if dedup_key(t) in seen and len(t.split()) > 8]
    if leaked:
        raise StanceError(
            f'{len(leaked)} sentence(s) of the running-text yardstick are in the training data (e.g. "{leaked[0][:60]}")',
            where=str(path),
            fix="remove it (and the bundled raw articles it holds) from data.inputs: it must never be trained on (or set eval.running=null)",
        )
    return running
