"""Knowledge distillation: a student learns the teacher's softened probabilities along with the gold labels.

The loss is `alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE(student, gold)` (Hinton et
al., 2015), where `_T` is a softmax at temperature T. Unlabelled transfer sentences (gold label
-100) contribute only the first term, so a base-size teacher's reading of text no annotator
labelled still reaches the student.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import check_setting
from stance.modeling.cache import cached_folder
from stance.modeling.encoding import length_sorted_batches, masked_mean

IGNORE = -100  # gold label of a transfer sentence: no cross-entropy term


def bundled_transfer_inputs() -> list[str]:
    """Unlabelled text of the training material only: the corpus (its neutral sentences) and the real-text training addresses.

    The bundled raw articles are not here: every line of them is part of the running-text yardstick,
    which is never trained on, not even through a teacher's soft labels.
    """
    from stance.data.bundled import resource_path

    return [str(resource_path("corpus")), str(resource_path("realtext") / "unlabelled.jsonl")]


@dataclass
class DistillOptions:
    """Knowledge distillation from a trained teacher (off while `teacher` is None): the `distill` config group."""

    teacher: str | None = None
    alpha: float = 0.5
    temperature: float = 2.0
    unlabelled: list[str] = field(default_factory=bundled_transfer_inputs)
    max_unlabelled: int | None = 4000
    augment_copies: int = 0
    feature_weight: float = 0.0
    cache: bool = True
    batch_size: int = 64

    def __post_init__(self) -> None:
        """Reject an impossible value when the options are built, before the teacher scores anything."""
        check_setting(0 <= self.alpha <= 1, "distill.alpha", self.alpha, "a weight from 0 (gold labels only) to 1 (teacher only), e.g. 0.5")
        check_setting(self.temperature > 0, "distill.temperature", self.temperature, "a temperature above 0, e.g. 2.0")
        check_setting(
            self.max_unlabelled is None or self.max_unlabelled >= 0, "distill.max_unlabelled", self.max_unlabelled, "0 or more, or null for all"
        )
        check_setting(self.augment_copies >= 0, "distill.augment_copies", self.augment_copies, "0 (none) or more copies")
        check_setting(self.feature_weight >= 0, "distill.feature_weight", self.feature_weight, "0 (off) or more")
        check_setting(self.batch_size >= 1, "distill.batch_size", self.batch_size, "a whole number from 1, e.g. 64")


@dataclass
class Distillation:
    """Teacher outputs for the train split (in its row order) and for extra unlabelled sentences.

    `*_features` (optional) are the teacher's mean-pooled, L2-normalised last hidden states: with
    `feature_weight > 0` the student also learns to reproduce them through a linear projection,
    which carries far more of the teacher's reading than two logits per sentence.
    """

    train_logits: np.ndarray
    transfer_texts: list[str]
    transfer_logits: np.ndarray
    transfer_previous: list[str] = field(default_factory=list)  # each transfer sentence's sentence before ("" if none), for a student with context
    alpha: float = 0.5
    temperature: float = 2.0
    train_features: np.ndarray | None = None
    transfer_features: np.ndarray | None = None
    feature_weight: float = 0.0
    recipe: str = ""  # one line for the model card: what the student learned from

    @property
    def feature_size(self) -> int:
        return 0 if self.train_features is None else int(self.train_features.shape[1])


def teacher_outputs(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    *,
    features: bool,
    batch_size: int = 64,
    max_length: int = 128,
    previous: Sequence[str] | None = None,
    context_tokens: int = 0,
) -> dict[str, np.ndarray]:
    """The teacher's raw logits and, with `features`, its mean-pooled L2-normalised last hidden states, in input order.

    A teacher trained with context (`context_tokens` > 0) reads each text after its `previous`
    sentence, as it was trained and as `StanceClassifier` serves it.
    """
    import torch
    from tqdm.auto import tqdm

    logits = np.zeros((len(texts), model.config.num_labels), dtype=np.float32)
    pooled = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32) if features else None
    with torch.inference_mode(), tqdm(total=len(texts), desc="teacher", unit="sentence", disable=None, leave=False) as bar:
        for index, batch in length_sorted_batches(tokenizer, texts, batch_size, max_length, previous, context_tokens):
            inputs = {k: torch.from_numpy(v) for k, v in batch.items()}
            out = model(**inputs, output_hidden_states=features)
            logits[index] = out.logits.float().numpy()
            if pooled is not None:
                pooled[index] = mean_pooled(out.hidden_states[-1], inputs["attention_mask"]).float().numpy()
            bar.update(len(index))
    return {"logits": logits} if pooled is None else {"logits": logits, "features": pooled}


def mean_pooled(hidden: Any, attention_mask: Any) -> Any:
    """The masked mean of the token vectors, L2-normalised (as sentence-transformers pools)."""
    import torch.nn.functional as F

    return F.normalize(masked_mean(hidden, attention_mask), dim=-1)


def cached_teacher_outputs(
    score: Callable[[list[str], list[str] | None], dict[str, np.ndarray]],
    teacher_dir: Path,
    texts: Sequence[str],
    tag: str = "logits",
    previous: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """`score(texts, previous)`, kept in `$STANCE_CACHE` under the teacher's files, `tag`, the exact texts and their previous sentences.

    Scoring thousands of sentences with a base-size teacher takes minutes on a CPU; a rerun that
    changes only the student's settings finds the same outputs. Any change to the teacher's files
    (size or modification time), to the sentences or to the sentences before them is a new entry.
    """
    texts = [str(t) for t in texts]
    previous = None if previous is None else [str(p) for p in previous]
    key = hashlib.sha256(f"{teacher_dir.resolve()}\0{tag}".encode())
    for path in sorted(p for p in teacher_dir.iterdir() if p.is_file()):
        stat = path.stat()
        key.update(f"\0{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    for text in texts:
        key.update(b"\0" + text.encode())
    for before in previous or []:
        key.update(b"\1" + before.encode())

    def build(tmp: Path) -> None:
        for name, array in score(texts, previous).items():
            np.save(tmp / f"{name}.npy", array)

    folder = cached_folder(f"teacher-{tag}-{key.hexdigest()[:24]}", build)
    out = {p.stem: np.load(p) for p in sorted(folder.glob("*.npy"))}
    if any(a.shape[0] != len(texts) for a in out.values()):
        raise ValueError(f"cached teacher outputs in {folder} do not match {len(texts)} sentences; delete the folder")
    return out


def distillation_loss(logits: Any, labels: Any, teacher: Any, alpha: float, temperature: float, weight: Any = None) -> Any:
    """Mean over the batch of the soft-target term, plus the gold-label term over the labelled rows."""
    import torch
    import torch.nn.functional as F

    soft = F.kl_div(
        F.log_softmax(logits / temperature, dim=-1),
        F.softmax(teacher.to(logits.dtype) / temperature, dim=-1),
        reduction="batchmean",
    ) * (temperature**2)
    labelled = labels != IGNORE
    if labelled.any():
        hard = F.cross_entropy(logits[labelled], labels[labelled], weight=weight)
    else:
        hard = torch.zeros((), dtype=logits.dtype, device=logits.device)
    return alpha * soft + (1 - alpha) * hard


def feature_loss(student_pooled: Any, teacher_features: Any, projection: Any) -> Any:
    """1 - cosine similarity between the projected student sentence vectors and the teacher's, batch mean."""
    import torch.nn.functional as F

    projected = projection(student_pooled)
    return (1 - F.cosine_similarity(projected, teacher_features.to(projected.dtype), dim=-1)).mean()


def add_transfer_rows(train: Any, transfer: Any, distill: Distillation) -> Any:
    """The tokenised train split plus the tokenised transfer sentences, each row with its teacher outputs."""
    from datasets import Value, concatenate_datasets

    if len(distill.train_logits) != len(train):
        raise ValueError(f"{len(distill.train_logits)} teacher rows for {len(train)} training rows")
    train = train.cast_column("labels", Value("int64")).add_column("teacher_logits", distill.train_logits.tolist())
    if distill.train_features is not None:
        train = train.add_column("teacher_features", distill.train_features.tolist())
    if not len(transfer):
        return train
    transfer = transfer.cast_column("labels", Value("int64")).add_column("teacher_logits", distill.transfer_logits.tolist())
    if distill.transfer_features is not None:
        transfer = transfer.add_column("teacher_features", distill.transfer_features.tolist())
    return concatenate_datasets([train, transfer.cast(train.features)])


def teacher_signal(
    opts: DistillOptions,
    dataset: Any,
    labels: tuple[str, ...],
    *,
    columns: Any,
    boilerplate_patterns: Sequence[str],
    min_chars: int,
    splits_file: Path,
    held_out_texts: Sequence[str] = (),
    seed: int = 0,
    max_length: int = 128,
) -> Distillation:
    """Teacher logits for the train split and for unlabelled transfer sentences outside every held-out document.

    `splits_file` is the prepared data's document-to-split assignment: no sentence of a validation
    or test document, and none equal to a held-out sentence (`held_out_texts`, e.g. the development
    set), reaches the student. A teacher trained with context (its `stance.json`) reads every
    sentence after the one before it in its document (a perturbed copy: its original's), as it was
    trained; read alone, such a teacher agreed with itself on only 89% of the validation rows
    (docs/results.md).
    """
    from stance.data.augmentation import perturbed_copies
    from stance.data.transfer import transfer_sentences
    from stance.errors import StanceError
    from stance.modeling.loading import load_trained
    from stance.modeling.settings import read_settings, saved_context_budget

    teacher_dir = Path(opts.teacher).expanduser()
    model, tokenizer, teacher_labels = load_trained(teacher_dir)
    if tuple(teacher_labels) != tuple(labels):
        raise StanceError(
            f"the teacher's labels ({', '.join(teacher_labels)}) are not the student's ({', '.join(labels)})",
            where=f"distill.teacher={opts.teacher}",
            fix="distil from a teacher trained on the same data.labels",
        )
    assignment = [json.loads(line) for line in splits_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    held_docs = {a["doc_id"] for a in assignment if a["split"] != "train"}
    skip = [t for split in dataset for t in dataset[split]["text"] if split != "unlabelled"] + list(held_out_texts)
    transfer = transfer_sentences(
        list(opts.unlabelled),
        held_out_docs=held_docs,
        skip_texts=skip,
        columns=columns,
        boilerplate_patterns=list(boilerplate_patterns),
        min_chars=min_chars,
        max_sentences=opts.max_unlabelled,
        seed=seed,
    )
    train_texts = list(dataset["train"]["text"])
    train_previous = list(dataset["train"]["previous"]) if "previous" in dataset["train"].column_names else [""] * len(train_texts)
    copies = perturbed_copies(train_texts, opts.augment_copies, seed=seed, skip_texts=skip + [t for t, _ in transfer])
    transfer += [(copy, train_previous[source]) for source, copy in copies]
    texts, transfer_previous = [t for t, _ in transfer], [p for _, p in transfer]
    settings = read_settings(teacher_dir)
    teacher_context = saved_context_budget(settings)
    print(
        f"distilling from {opts.teacher}: the teacher scores {len(train_texts)} training sentences, "
        f"{len(texts) - len(copies)} unlabelled sentences and {len(copies)} perturbed copies"
        + (f", each after the sentence before it (the teacher was trained with {teacher_context} tokens of context)" if teacher_context else "")
    )
    features = opts.feature_weight > 0
    teacher_max_length = settings.get("max_length") or max_length

    def score(batch: list[str], previous: list[str] | None) -> dict[str, Any]:
        return teacher_outputs(
            model,
            tokenizer,
            batch,
            features=features,
            batch_size=opts.batch_size,
            max_length=teacher_max_length,
            previous=previous,
            context_tokens=teacher_context,
        )

    everything = train_texts + texts
    before = train_previous + transfer_previous if teacher_context else None  # None: a teacher without context, and its cache entries, as before
    tag = "logits+features" if features else "logits"
    out = cached_teacher_outputs(score, teacher_dir, everything, tag, before) if opts.cache else score(everything, before)
    n = len(train_texts)
    return Distillation(
        train_logits=out["logits"][:n],
        transfer_texts=texts,
        transfer_logits=out["logits"][n:],
        transfer_previous=transfer_previous,
        alpha=opts.alpha,
        temperature=opts.temperature,
        train_features=out["features"][:n] if features else None,
        transfer_features=out["features"][n:] if features else None,
        feature_weight=opts.feature_weight,
        recipe=(
            f"alpha {opts.alpha}, temperature {opts.temperature}"
            + (", a teacher with context reading each sentence after the one before it" if teacher_context else "")
            + f", over {n:,} training sentences, {len(texts) - len(copies):,} unlabelled "
            f"sentences and {len(copies):,} perturbed copies" + (f", sentence vectors matched at weight {opts.feature_weight}" if features else "")
        ),
    )
