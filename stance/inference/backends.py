"""Backends that turn a padded batch of token ids into logits; the classifier needs nothing else of them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import numpy as np


class Backend(Protocol):
    """What `StanceClassifier` calls: a batch (numpy arrays by input name) -> logits.

    `workers` is how many batches may run at once; a backend with `workers > 1` may also offer
    `parallel_scoring()`, a context entered while batches run in parallel.
    """

    workers: int

    def __call__(self, batch: dict[str, np.ndarray]) -> np.ndarray: ...


def parallel_context(backend: Backend) -> AbstractContextManager[Any]:
    """The backend's context for parallel scoring, or a no-op."""
    from contextlib import nullcontext

    return getattr(backend, "parallel_scoring", nullcontext)()


class TorchBackend:
    """Runs a transformers model under `torch.inference_mode`.

    On CPU, batches run one per core, each on one intra-op thread: the short matrix products of
    sentence batches keep one thread busy better than they split across several.
    """

    def __init__(self, model: Any, workers: int | None = None) -> None:
        self.model = model
        self.device = next(model.parameters()).device
        self.workers = (workers or available_cores()) if self.device.type == "cpu" else 1

    @contextmanager
    def parallel_scoring(self) -> Iterator[None]:
        """torch's intra-op thread count is process-wide: one thread per batch while batches run in parallel, then restored."""
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def __call__(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            inputs = {k: torch.from_numpy(np.asarray(v)).to(self.device) for k, v in batch.items()}
            return self.model(**inputs).logits.float().cpu().numpy()


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
