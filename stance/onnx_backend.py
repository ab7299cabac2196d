"""ONNX Runtime inference and export (torch.onnx legacy exporter + ORT dynamic int8 quantisation).

The int8 graph is fast but its logits carry quantisation noise; a sentence whose top two int8
logits are closer than that noise can come out with the other label. Export measures the noise
on corpus sentences and saves a margin; at inference, sentences under the margin are scored
again with the fp32 graph, so labels match torch almost always at a small cost in speed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stance.classifier import available_cores, read_optional_json
from stance.errors import StanceError

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
        """The int8 graph (re-scoring near ties with fp32 when export saved a margin), else the fp32 one."""
        int8, fp32 = folder / INT8_FILE, folder / FP32_FILE
        if int8.exists():
            fast = cls(int8, workers)
            margin = read_export_report(folder).get("rescore_margin")
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


def export_onnx(
    model_dir: Path,
    quantize: bool = True,
    opset: int = 17,
    check_texts: Sequence[str] = (),
    rescore_quantile: float = 0.95,
) -> dict[str, Any]:
    """Write model.onnx (and model.int8.onnx) next to the weights; report label agreement with torch.

    With `quantize` and `check_texts`, the int8 noise is measured as how much any difference of
    two logits moves between torch and int8 per sentence; its `rescore_quantile` quantile becomes
    the re-scoring margin.
    """
    if not 0 < rescore_quantile <= 1:
        raise StanceError(
            f"export.rescore_quantile={rescore_quantile} is not a quantile",
            where="export.rescore_quantile",
            fix="give a number in (0, 1], e.g. 0.95",
        )
    import torch

    from stance.classifier import StanceClassifier
    from stance.modeling import load_trained

    model, tokenizer, labels = load_trained(model_dir)
    names = [n for n in tokenizer.model_input_names if n in ("input_ids", "attention_mask", "token_type_ids")]
    sample = tokenizer(["a short example sentence", "another one"], padding=True, return_tensors="pt")
    inputs = tuple(sample[n] for n in names)
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["logits"] = {0: "batch"}

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, args))).logits

    fp32 = model_dir / FP32_FILE
    with torch.inference_mode():
        torch.onnx.export(
            LogitsOnly(model.eval()),
            inputs,
            str(fp32),
            input_names=names,
            output_names=["logits"],
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )
    report: dict[str, Any] = {"opset": opset, "files": [FP32_FILE]}
    if quantize:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # weights per channel; attention's activation-by-activation products (scores, scores x values)
        # stay in fp32: quantising both of their inputs on the fly cost the most label agreement here
        graph = onnx.load(str(fp32)).graph
        weights = {t.name for t in graph.initializer}
        activation_products = [n.name for n in graph.node if n.op_type == "MatMul" and not any(i in weights for i in n.input)]
        quantize_dynamic(
            str(fp32),
            str(model_dir / INT8_FILE),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            reduce_range=True,
            nodes_to_exclude=activation_products,
        )
        report["files"].append(INT8_FILE)
    if check_texts:
        torch_clf = StanceClassifier.from_pretrained(model_dir)
        reference = torch_clf.logits(check_texts)

        def agreement(backend: Any) -> tuple[float, np.ndarray]:
            clf = StanceClassifier(backend, tokenizer, labels, max_length=torch_clf.max_length)
            logits = clf.logits(check_texts)
            return float(np.mean(logits.argmax(axis=1) == reference.argmax(axis=1))), logits

        backends = {name: OnnxBackend(model_dir / name) for name in report["files"]}
        scored = {}
        for name, backend in backends.items():
            report[f"label_agreement_{name}"], scored[name] = agreement(backend)
        report["check_sentences"] = len(check_texts)
        if quantize:
            logits = scored[INT8_FILE]
            noise = np.ptp(logits - reference, axis=1)
            margin = float(np.quantile(noise, rescore_quantile))
            rescorer = NearTieRescorer(backends[INT8_FILE], backends[FP32_FILE], margin)
            report["rescore_margin"] = margin
            report["rescore_quantile"] = rescore_quantile
            report["rescored_share"] = float(np.mean(top_two_gap(logits) < margin))
            report["label_agreement_int8_rescored"] = agreement(rescorer)[0]
    (model_dir / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
