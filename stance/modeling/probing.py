"""Linear probing before fine-tuning (LP-FT): fit the classification head on the frozen encoder's features first.

Fine-tuning from a randomly initialised head sends large, uninformative gradients into the encoder
while the head is still wrong, and distorts the pretrained features that sentences unlike the
training data depend on (Kumar et al., "Fine-Tuning can Distort Pretrained Features and
Underperform Out-of-Distribution", ICLR 2022). Fitting the head alone first, on features computed
once, starts fine-tuning from a head that already reads the encoder (docs/results.md, 2026-12-06).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.modeling.distillation import IGNORE  # rows without a gold label (distillation's transfer sentences) are not probed
from stance.modeling.encoding import by_length

PROBE_LEARNING_RATE = 1e-3  # AdamW rate for the head alone (the encoder's fine-tuning rate is far too low for a fresh head)
PROBE_BATCH_SIZE = 64  # sentences per step, both when computing features and when fitting the head


class UnprobeableHead(StanceError):
    """The model's head cannot be fitted on first-token features: fine-tuning goes on without probing, and says so."""


@dataclass
class ProbeOutcome:
    sentences: int
    loss_before: float  # the head's mean cross-entropy on the probed sentences before fitting
    loss_after: float
    seconds: float


def classification_head(model: Any) -> Any:
    """The module that turns the encoder's output into logits (`classifier` in BERT, RoBERTa, MPNet, DeBERTa, ELECTRA)."""
    import torch

    head = getattr(model, "classifier", None)
    if not isinstance(head, torch.nn.Module):
        raise UnprobeableHead(
            f"{type(model).__name__} has no `classifier` head to fit on its own",
            where="trainer.probe_epochs",
            fix="trainer.probe_epochs=0 trains it without probing",
        )
    return head


def probe_head(model: Any, train: Any, collate: Any, epochs: int, seed: int, autocast_dtype: Any = None, device: str = "cpu") -> ProbeOutcome:
    """Fit `classification_head(model)` for `epochs` passes over the encoder's features of the tokenised `train` rows.

    The features are computed once (`first_token_features`); the encoder is not changed. A head that
    reads more than the first token, or a model without a `classifier`, raises `UnprobeableHead`,
    before the head is changed.
    """
    import torch

    started = time.perf_counter()
    head = classification_head(model)
    x, y = first_token_features(model, train, collate, autocast_dtype, device)
    with torch.no_grad():
        before = float(torch.nn.functional.cross_entropy(head(x), y))
    fit_head(head, x, y, epochs, seed)
    with torch.no_grad():
        after = float(torch.nn.functional.cross_entropy(head(x), y))
    model.train()
    return ProbeOutcome(sentences=len(y), loss_before=before, loss_after=after, seconds=time.perf_counter() - started)


def first_token_features(model: Any, rows: Any, collate: Any, autocast_dtype: Any = None, device: str = "cpu") -> tuple[Any, Any]:
    """What `classification_head(model)` reads for each labelled row of the tokenised `rows`, and their labels.

    Computed in evaluation mode (no dropout), with `autocast_dtype` (the mixed precision training will
    use, or None), in order of length. Heads that read the first token of the sequence (most) get that
    token only; one that reads more raises `UnprobeableHead` after the first batch.
    """
    import torch

    head = classification_head(model)
    rows_in_order = by_length(rows.select(np.flatnonzero(np.asarray(rows["labels"]) != IGNORE)))
    keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in rows.column_names]
    inputs: list[Any] = []
    handle = head.register_forward_pre_hook(lambda module, args: inputs.append(args[0].detach()))
    features, gold = [], []
    model.to(device).eval()
    try:
        with torch.no_grad(), torch.autocast(device, dtype=autocast_dtype or torch.bfloat16, enabled=autocast_dtype is not None):
            for number, batch_rows in enumerate(rows_in_order.iter(batch_size=PROBE_BATCH_SIZE)):
                batch = collate([{k: batch_rows[k][i] for k in keys} for i in range(len(batch_rows["labels"]))])
                model(**{k: v.to(device) for k, v in batch.items()})
                x = inputs.pop().float()
                if x.dim() == 3:
                    if number == 0:  # on the first batch, before the pass over the rest is spent
                        _check_reads_first_token(model, head, x, device)
                    x = x[:, :1]
                features.append(x)
                gold.append(torch.as_tensor(batch_rows["labels"], device=device))
    finally:
        handle.remove()
    return torch.cat(features), torch.cat(gold)


def fit_head(head: Any, x: Any, y: Any, epochs: int, seed: int, after_pass: Callable[[int], None] | None = None) -> None:
    """Fit `head` on features `x` and labels `y` for `epochs` shuffled passes (AdamW); `after_pass(n)` runs after pass n."""
    import torch

    head.train()
    optimiser = torch.optim.AdamW(head.parameters(), lr=PROBE_LEARNING_RATE, weight_decay=0.01)
    generator = torch.Generator().manual_seed(seed)
    for done in range(1, epochs + 1):
        for idx in torch.randperm(len(y), generator=generator).split(PROBE_BATCH_SIZE):
            idx = idx.to(x.device)
            loss = torch.nn.functional.cross_entropy(head(x[idx]), y[idx])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        if after_pass is not None:
            after_pass(done)
            head.train()
    head.eval()


def _check_reads_first_token(model: Any, head: Any, sequence: Any, device: str) -> None:
    """Raise `UnprobeableHead` unless the head answers the same from the first token alone as from the whole `sequence`."""
    import torch

    with torch.autocast(device, enabled=False):  # in full precision: in bf16 the two shapes may round apart and flag a head that reads one token
        if not torch.allclose(head(sequence[:, :1]), head(sequence), atol=1e-5):
            raise UnprobeableHead(
                f"the head of {type(model).__name__} reads more than the first token, so it cannot be fitted on that token alone",
                where="trainer.probe_epochs",
                fix="trainer.probe_epochs=0 trains it without probing",
            )
