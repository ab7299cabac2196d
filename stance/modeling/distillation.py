"""Knowledge distillation: a student learns the teacher's softened probabilities along with the gold labels.

The loss is `alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE(student, gold)` (Hinton et
al., 2015), where `_T` is a softmax at temperature T. Unlabelled transfer sentences (gold label
-100) contribute only the first term, so a base-size teacher's reading of text no annotator
labelled still reaches the student.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stance.modeling.cache import cached_folder

IGNORE = -100  # gold label of a transfer sentence: no cross-entropy term


@dataclass
class Distillation:
    """Teacher logits for the train split (in its row order) and for extra unlabelled sentences."""

    train_logits: np.ndarray
    transfer_texts: list[str]
    transfer_logits: np.ndarray
    alpha: float = 0.5
    temperature: float = 2.0


def cached_teacher_logits(score: Callable[[list[str]], np.ndarray], teacher_dir: Path, texts: Sequence[str]) -> np.ndarray:
    """`score(texts)`, kept in `$STANCE_CACHE` under the teacher's files and the exact texts.

    Scoring thousands of sentences with a base-size teacher takes minutes on a CPU; a rerun that
    changes only the student's settings finds the same logits. Any change to the teacher's files
    (size or modification time) or to the sentences is a new entry.
    """
    texts = [str(t) for t in texts]
    key = hashlib.sha256(str(teacher_dir.resolve()).encode())
    for path in sorted(p for p in teacher_dir.iterdir() if p.is_file()):
        stat = path.stat()
        key.update(f"\0{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    for text in texts:
        key.update(b"\0" + text.encode())
    folder = cached_folder(f"teacher-logits-{key.hexdigest()[:24]}", lambda tmp: np.save(tmp / "logits.npy", score(texts)))
    logits = np.load(folder / "logits.npy")
    if logits.shape[0] != len(texts):
        raise ValueError(f"cached teacher logits in {folder} have {logits.shape[0]} rows for {len(texts)} sentences; delete the folder")
    return logits


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


def add_transfer_rows(train: Any, transfer: Any, distill: Distillation) -> Any:
    """The tokenised train split plus the tokenised transfer sentences, each row with its teacher logits."""
    from datasets import Value, concatenate_datasets

    if len(distill.train_logits) != len(train):
        raise ValueError(f"{len(distill.train_logits)} teacher rows for {len(train)} training rows")
    train = train.cast_column("labels", Value("int64")).add_column("teacher_logits", distill.train_logits.tolist())
    if not len(transfer):
        return train
    transfer = transfer.cast_column("labels", Value("int64")).add_column("teacher_logits", distill.transfer_logits.tolist())
    return concatenate_datasets([train, transfer.cast(train.features)])
