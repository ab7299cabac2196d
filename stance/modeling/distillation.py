"""Knowledge distillation: a student learns the teacher's softened probabilities along with the gold labels.

The loss is `alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE(student, gold)` (Hinton et
al., 2015), where `_T` is a softmax at temperature T. Unlabelled transfer sentences (gold label
-100) contribute only the first term, so a base-size teacher's reading of text no annotator
labelled still reaches the student.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

IGNORE = -100  # gold label of a transfer sentence: no cross-entropy term


@dataclass
class Distillation:
    """Teacher logits for the train split (in its row order) and for extra unlabelled sentences."""

    train_logits: np.ndarray
    transfer_texts: list[str]
    transfer_logits: np.ndarray
    alpha: float = 0.5
    temperature: float = 2.0


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
