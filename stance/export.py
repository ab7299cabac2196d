"""`stance-export`: write an ONNX graph (optionally int8) next to a trained model and check it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from stance.cli import announce_model, run_hydra_app
from stance.config import options


def export(cfg: DictConfig) -> dict[str, Any]:
    """Export `cfg.model_dir` to ONNX; labels are checked against torch on sentences of the corpus."""
    from stance.data.bundled import corpus_sample
    from stance.inference.onnx_export import export_onnx

    opts = options(cfg, "export")
    texts = corpus_sample(opts.check_sentences)
    report = export_onnx(Path(cfg.model_dir), quantize=opts.quantize, opset=opts.opset, check_texts=texts, rescore_quantile=opts.rescore_quantile)
    announce_model(cfg.model_dir)
    for name in report["files"]:
        print(
            f"{Path(cfg.model_dir) / name}: labels agree with torch on "
            f"{report.get(f'label_agreement_{name}', float('nan')):.2%} of {len(texts)} sentences"
        )
    if "rescore_margin" in report:
        print(
            f"int8 with near ties (top-two logit gap < {report['rescore_margin']:.3f}, {report['rescored_share']:.1%} of sentences) "
            f"scored again in fp32: labels agree with torch on {report['label_agreement_int8_rescored']:.2%}"
        )
        if not report["int8_used"]:
            print(
                f"stance: note: int8 is too noisy for this model ({report['rescored_share']:.0%} near ties, each scored twice): "
                "predict.backend=onnx will run the fp32 graph, model.onnx"
            )
    return report


main = run_hydra_app(export)

if __name__ == "__main__":
    main()
