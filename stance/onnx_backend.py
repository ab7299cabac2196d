"""ONNX Runtime inference and export (torch.onnx legacy exporter + ORT dynamic int8 quantisation)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError

FP32_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
REPORT_FILE = "onnx_export.json"


class OnnxBackend:
    """Runs an exported graph; feeds only the inputs the graph declares."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise StanceError("onnxruntime is not installed", where="backend=onnx", fix="pip install 'stance[onnx]'") from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.path = path

    @classmethod
    def load(cls, folder: Path) -> OnnxBackend:
        for name in (INT8_FILE, FP32_FILE):
            if (folder / name).exists():
                return cls(folder / name)
        raise StanceError("no ONNX graph in the model folder", where=str(folder), fix=f"run stance-export model_dir={folder}")

    def __call__(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        feed = {k: np.asarray(batch[k], dtype=np.int64) for k in self.inputs}
        return self.session.run(["logits"], feed)[0]


def export_onnx(model_dir: Path, quantize: bool = True, opset: int = 17, check_texts: Sequence[str] = ()) -> dict[str, Any]:
    """Write model.onnx (and model.int8.onnx) next to the weights; report label agreement with torch."""
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
        reference = torch_clf.logits(check_texts).argmax(axis=1)
        for name in report["files"]:
            onnx_clf = StanceClassifier(OnnxBackend(model_dir / name), tokenizer, labels, max_length=torch_clf.max_length)
            agreement = float(np.mean(onnx_clf.logits(check_texts).argmax(axis=1) == reference))
            report[f"label_agreement_{name}"] = agreement
        report["check_sentences"] = len(check_texts)
    (model_dir / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
