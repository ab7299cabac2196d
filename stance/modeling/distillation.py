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
from stance.modeling.encoding import length_sorted_batches, masked_mean

IGNORE = -100  # gold label of a transfer sentence: no cross-entropy term


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
    model: Any, tokenizer: Any, texts: Sequence[str], *, features: bool, batch_size: int = 64, max_length: int = 128
) -> dict[str, np.ndarray]:
    """The teacher's raw logits and, with `features`, its mean-pooled L2-normalised last hidden states, in input order."""
    import torch
    from tqdm.auto import tqdm

    logits = np.zeros((len(texts), model.config.num_labels), dtype=np.float32)
    pooled = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32) if features else None
    with torch.inference_mode(), tqdm(total=len(texts), desc="teacher", unit="sentence", disable=None, leave=False) as bar:
        for index, batch in length_sorted_batches(tokenizer, texts, batch_size, max_length):
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
    score: Callable[[list[str]], dict[str, np.ndarray]], teacher_dir: Path, texts: Sequence[str], tag: str = "logits"
) -> dict[str, np.ndarray]:
    """`score(texts)`, kept in `$STANCE_CACHE` under the teacher's files, `tag` and the exact texts.

    Scoring thousands of sentences with a base-size teacher takes minutes on a CPU; a rerun that
    changes only the student's settings finds the same outputs. Any change to the teacher's files
    (size or modification time) or to the sentences is a new entry.
    """
    texts = [str(t) for t in texts]
    key = hashlib.sha256(f"{teacher_dir.resolve()}\0{tag}".encode())
    for path in sorted(p for p in teacher_dir.iterdir() if p.is_file()):
        stat = path.stat()
        key.update(f"\0{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    for text in texts:
        key.update(b"\0" + text.encode())

    def build(tmp: Path) -> None:
        for name, array in score(texts).items():
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
