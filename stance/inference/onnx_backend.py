"""ONNX Runtime inference: the fp32 and int8 graphs written by `stance-export`.

The int8 graph is fast but its logits carry quantisation noise; a sentence whose top two int8
logits are closer than that noise can come out with the other label. Export measures the noise
on corpus sentences and saves a margin; at inference, sentences under the margin are scored
again with the fp32 graph, so labels match torch almost always at a small cost in speed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.inference.backends import available_cores
from stance.modeling.settings import read_optional_json

FP32_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
REPORT_FILE = "onnx_export.json"


class OnnxBackend:
    """Runs an exported graph; feeds only the inputs the graph declares.

    Each run uses one thread and the classifier runs `workers` batches at once: on a few cores
    this beats one batch at a time over all threads, whose short matrix products leave threads
    waiting on each other.
    """

    def __init__(self, path: Path, workers: int | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise StanceError("onnxruntime is not installed", where="backend=onnx", fix="pip install 'stance[onnx]'") from None
        self.workers = workers or available_cores()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1 if self.workers > 1 else available_cores()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.path = path

    @classmethod
    def load(cls, folder: Path, rescore: bool = True, workers: int | None = None) -> OnnxBackend | NearTieRescorer:
        """The int8 graph (re-scoring near ties with fp32 when export saved a margin), else the fp32 one.

        The fp32 graph is used also when export found the int8 graph too noisy to save time
        (`int8_used: false` in onnx_export.json: most sentences were near ties).
        """
        int8, fp32 = folder / INT8_FILE, folder / FP32_FILE
        report = read_export_report(folder)
        if int8.exists() and not (report.get("int8_used") is False and fp32.exists()):
            fast = cls(int8, workers)
            margin = report.get("rescore_margin")
            if rescore and margin and fp32.exists():
                return NearTieRescorer(fast, cls(fp32, workers), float(margin))
            return fast
        if fp32.exists():
            return cls(fp32, workers)
        raise StanceError("no ONNX graph in the model folder", where=str(folder), fix=f"run stance-export model_dir={folder}")

    def __call__(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        feed = {k: np.asarray(batch[k], dtype=np.int64) for k in self.inputs}
        return self.session.run(["logits"], feed)[0]


class NearTieRescorer:
    """int8 logits, except for sentences whose top-two int8 gap is under `margin`: fp32 for those."""

    def __init__(self, fast: OnnxBackend, exact: OnnxBackend, margin: float) -> None:
        self.fast, self.exact, self.margin = fast, exact, margin
        self.workers = fast.workers

    def __call__(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        logits = self.fast(batch)
        rows = np.flatnonzero(top_two_gap(logits) < self.margin)
        if len(rows):
            logits[rows] = self.exact({k: np.asarray(v)[rows] for k, v in batch.items()})
        return logits


def top_two_gap(logits: np.ndarray) -> np.ndarray:
    top = np.sort(logits, axis=1)
    return top[:, -1] - top[:, -2]


def read_export_report(folder: Path) -> dict[str, Any]:
    return read_optional_json(folder / REPORT_FILE, fix="run stance-export again")
