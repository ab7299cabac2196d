"""Inference benchmark: transformers.pipeline (batch 32) vs StanceClassifier (torch) vs ONNX int8.

    python scripts/bench_predict.py [--model-dir outputs/latest/model] [--sentences 5000] [--repeats 3] [--json FILE]

All contenders score the same mixed-length sentences (the bundled corpus plus the sentences of
the bundled raw articles, cycled to --sentences) in the same process, one after another,
repeated --repeats times; the table reports the median sentences/s of each, the ratios, and
label agreement. The ONNX backend runs as shipped (int8, near ties scored again in fp32) and,
for comparison, as bare int8. This machine is shared and noisy: read the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np  # noqa: E402

from stance import StanceClassifier  # noqa: E402
from stance.data.bundled import (
    bundled_corpus_texts,
    corpus_sample,
    resource_path,  # noqa: E402
)
from stance.data.segmentation import article_sentences  # noqa: E402


def benchmark_sentences(n: int) -> list[str]:
    texts = bundled_corpus_texts()
    for path in sorted(resource_path("raw_articles").glob("*.txt")):
        texts += article_sentences(path.read_text(encoding="utf-8-sig"))
    out = [texts[i % len(texts)] for i in range(n)]
    np.random.default_rng(0).shuffle(out)  # mixed lengths in arrival order, as in a real archive
    return out


def agreement(a: list[str], b: list[str]) -> float:
    return float(np.mean(np.array(a) == np.array(b)))


def timed(fn, texts):
    start = time.perf_counter()
    labels = fn(texts)
    return time.perf_counter() - start, labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=Path("outputs/latest/model"))
    parser.add_argument("--sentences", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (args.model_dir / "config.json").exists():
        print(f"no trained model at {args.model_dir}: run `bash scripts/main.sh` first or pass --model-dir", file=sys.stderr)
        return 2

    import torch
    from transformers import pipeline

    from stance.inference.onnx_backend import INT8_FILE, read_export_report
    from stance.inference.onnx_export import export_onnx

    texts = benchmark_sentences(args.sentences)
    if not (args.model_dir / INT8_FILE).exists() or "rescore_margin" not in read_export_report(args.model_dir):
        print(f"exporting ONNX graphs into {args.model_dir} (as `stance-export` does)", file=sys.stderr)
        export_onnx(args.model_dir, quantize=True, check_texts=corpus_sample(400))
    pipe = pipeline("text-classification", model=str(args.model_dir), device="cpu")
    ours = StanceClassifier.from_pretrained(args.model_dir, batch_size=64)
    onnx = StanceClassifier.from_pretrained(args.model_dir, backend="onnx", batch_size=64)
    onnx_raw = StanceClassifier.from_pretrained(args.model_dir, backend="onnx", batch_size=64, onnx_rescore=False)
    contenders = {
        "pipeline_batch32": lambda t: [p["label"] for p in pipe(t, batch_size=32, truncation=True, max_length=128)],
        "stance_torch": ours.predict,
        "stance_onnx_int8": onnx.predict,
        "stance_onnx_int8_no_rescore": onnx_raw.predict,
    }
    for fn in contenders.values():  # warm-up: first calls allocate and JIT kernels
        fn(texts[:64])
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    labels: dict[str, list[str]] = {}
    for _ in range(args.repeats):
        for name, fn in contenders.items():  # interleaved, so drifts in machine load hit all alike
            elapsed, labels[name] = timed(fn, texts)
            seconds[name].append(elapsed)
    rate = {name: len(texts) / statistics.median(s) for name, s in seconds.items()}
    tokens = [len(ids) for ids in ours.tokenizer(texts[:2000], truncation=True, max_length=128)["input_ids"]]
    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "torch": torch.__version__, "torch_threads": torch.get_num_threads()},
        "model_dir": str(args.model_dir),
        "sentences": len(texts),
        "tokens_mean": float(np.mean(tokens)),
        "tokens_p90": float(np.percentile(tokens, 90)),
        "repeats": args.repeats,
        "sentences_per_second_median": rate,
        "seconds_all_repeats": seconds,
        "ratio_torch_vs_pipeline": rate["stance_torch"] / rate["pipeline_batch32"],
        "ratio_onnx_vs_torch": rate["stance_onnx_int8"] / rate["stance_torch"],
        "ratio_onnx_vs_pipeline": rate["stance_onnx_int8"] / rate["pipeline_batch32"],
        "ratio_onnx_no_rescore_vs_torch": rate["stance_onnx_int8_no_rescore"] / rate["stance_torch"],
        "label_agreement_torch_vs_pipeline": agreement(labels["stance_torch"], labels["pipeline_batch32"]),
        "label_agreement_onnx_vs_torch": agreement(labels["stance_onnx_int8"], labels["stance_torch"]),
        "label_agreement_onnx_no_rescore_vs_torch": agreement(labels["stance_onnx_int8_no_rescore"], labels["stance_torch"]),
        "onnx_export": read_export_report(args.model_dir),
    }
    print(f"{len(texts)} sentences (mean {result['tokens_mean']:.1f} tokens, p90 {result['tokens_p90']:.0f}), median of {args.repeats} runs")
    print("| backend | sentences/s | vs pipeline |")
    print("|---|---|---|")
    for name, r in rate.items():
        print(f"| {name} | {r:.1f} | {r / rate['pipeline_batch32']:.2f}x |")
    print(f"ONNX int8 vs our torch: {result['ratio_onnx_vs_torch']:.2f}x (bare int8: {result['ratio_onnx_no_rescore_vs_torch']:.2f}x)")
    print(
        f"label agreement: torch vs pipeline {result['label_agreement_torch_vs_pipeline']:.2%}, "
        f"ONNX vs torch {result['label_agreement_onnx_vs_torch']:.2%} (bare int8: {result['label_agreement_onnx_no_rescore_vs_torch']:.2%})"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
