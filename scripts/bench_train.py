"""Training benchmark: the stock Hugging Face text-classification recipe vs stance's default training.

    python scripts/bench_train.py [--train-sentences 1000] [--epochs 2] [--json FILE]

Both recipes fine-tune the default encoder on the same sentences of the default training data, for
the same epochs, seed, batch size and learning rate, each in its own subprocess (so peak RSS is its own);
pass Hydra overrides after `--` to benchmark another configuration (e.g. `-- model=minilm`):

- stock: every sentence padded to max_seq_length=128, no length grouping, every layer trained
  (as `run_glue.py --pad_to_max_length`), HF Trainer;
- stance: `stance.modeling.fine_tuning.fine_tune` with the shipped default recipe (dynamic padding,
  length-grouped batches, frozen lower layers where the default freezes them, per-epoch validation
  and checkpoints).

Reported: sentences/s, seconds per epoch, peak RSS, achieved GFLOP/s (useful = on real tokens
only) against a fp32 matmul measured in the same run, final validation macro-F1, and the
ratios. The machine is shared and noisy: read the ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")


def matmul_gflops(size: int = 2048, seconds: float = 3.0) -> float:
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    for _ in range(3):
        a @ b
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        n += 1
    return 2 * size**3 * n / (time.perf_counter() - start) / 1e9


def load_data(train_sentences: int, seed: int, overrides: list[str]):
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG, options
    from stance.data.dataset import is_current, load_prepared, prepare_dataset

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name=PRIMARY_CONFIG, overrides=overrides)
    data = options(cfg, "data")
    if not is_current(data):
        prepare_dataset(data)
    ds = load_prepared(data.prepared_dir)
    ds["train"] = ds["train"].shuffle(seed=seed).select(range(min(train_sentences, len(ds["train"]))))
    return ds, cfg


def nonembedding_params(model) -> int:
    return sum(p.numel() for n, p in model.named_parameters() if "embeddings" not in n)


def worker(recipe: str, train_sentences: int, epochs: float, seed: int, out: Path, overrides: list[str]) -> None:
    import numpy as np
    import torch
    from sklearn.metrics import f1_score
    from transformers import Trainer, TrainingArguments, default_data_collator, set_seed

    from stance.config import options
    from stance.modeling.fine_tuning import fine_tune
    from stance.modeling.loading import load_for_training, resolve_model_source

    ds, cfg = load_data(train_sentences, seed, overrides)
    labels = tuple(ds["train"].features["label"].names)
    set_seed(seed)
    model, tokenizer = load_for_training(resolve_model_source(cfg.model.name_or_path), labels)
    train_texts = list(ds["train"]["text"])
    real_tokens = sum(len(x) for x in tokenizer(train_texts, truncation=True, max_length=128)["input_ids"])
    t = cfg.trainer
    work = out.parent / f"ckpt-{recipe}"
    start = time.perf_counter()
    if recipe == "stance":
        # the shipped default recipe whole (freezing included), for the benchmark's epochs and without early stopping
        opts = dataclasses.replace(options(cfg, "trainer"), epochs=epochs, early_stopping_patience=0, report_to=[])
        outcome = fine_tune(ds, model, tokenizer, labels, work, opts, max_length=cfg.model.max_length, seed=seed)
        model = outcome.model
        processed_tokens = real_tokens * epochs
    else:

        def encode(batch):
            return tokenizer(batch["text"], padding="max_length", truncation=True, max_length=128)

        keep = ["label"]
        enc = ds.map(encode, batched=True, remove_columns=[c for c in ds["train"].column_names if c not in keep]).rename_column("label", "labels")
        args = TrainingArguments(
            output_dir=str(work),
            num_train_epochs=epochs,
            per_device_train_batch_size=t.batch_size,
            per_device_eval_batch_size=64,
            learning_rate=t.learning_rate,
            warmup_steps=t.warmup_ratio,
            weight_decay=t.weight_decay,
            eval_strategy="epoch",
            save_strategy="no",
            report_to="none",
            seed=seed,
            use_cpu=True,
            disable_tqdm=True,
            logging_steps=50,
        )
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=enc["train"],
            eval_dataset=enc["validation"],
            data_collator=default_data_collator,
            processing_class=tokenizer,
        )
        trainer.train()
        model = trainer.model
        processed_tokens = 128 * len(ds["train"]) * epochs
    seconds = time.perf_counter() - start
    model.eval()
    val_texts, val_labels = list(ds["validation"]["text"]), list(ds["validation"]["label"])
    with torch.inference_mode():
        logits = []
        for i in range(0, len(val_texts), 64):
            batch = tokenizer(val_texts[i : i + 64], padding=True, truncation=True, max_length=128, return_tensors="pt")
            logits.append(model(**batch).logits.numpy())
    pred = np.concatenate(logits).argmax(axis=1)
    params = nonembedding_params(model)
    result = {
        "recipe": recipe,
        "train_sentences": len(ds["train"]),
        "epochs": epochs,
        "seconds": seconds,
        "seconds_per_epoch": seconds / epochs,
        "sentences_per_second": len(ds["train"]) * epochs / seconds,
        "useful_gflops_per_second": 6 * params * real_tokens * epochs / seconds / 1e9,
        "computed_gflops_per_second": 6 * params * processed_tokens / seconds / 1e9,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "validation_macro_f1": float(f1_score(val_labels, pred, average="macro")),
        "mean_real_tokens": real_tokens / len(ds["train"]),
    }
    out.write_text(json.dumps(result), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-sentences", type=int, default=1000)
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker", choices=["stock", "stance"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the configuration to benchmark, after --")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.train_sentences, args.epochs, args.seed, args.out, args.overrides)
        return 0

    import tempfile

    import torch

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        ceiling_before = matmul_gflops()
        for recipe in ("stock", "stance"):
            out = Path(tmp) / f"{recipe}.json"
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                recipe,
                "--train-sentences",
                str(args.train_sentences),
                "--epochs",
                str(args.epochs),
                "--seed",
                str(args.seed),
                "--out",
                str(out),
                "--",
                *args.overrides,
            ]
            subprocess.run(cmd, check=True)
            results[recipe] = json.loads(out.read_text())
        ceiling_after = matmul_gflops()
    ceiling = (ceiling_before + ceiling_after) / 2
    stock, ours = results["stock"], results["stance"]
    report = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "torch": torch.__version__},
        "matmul_gflops_per_second": {"before": ceiling_before, "after": ceiling_after, "mean": ceiling},
        "stock": stock,
        "stance": ours,
        "throughput_ratio": ours["sentences_per_second"] / stock["sentences_per_second"],
        "macro_f1_difference_points": 100 * (ours["validation_macro_f1"] - stock["validation_macro_f1"]),
        "useful_share_of_matmul_ceiling": {
            "stock": stock["useful_gflops_per_second"] / ceiling,
            "stance": ours["useful_gflops_per_second"] / ceiling,
        },
        "computed_share_of_matmul_ceiling": {
            "stock": stock["computed_gflops_per_second"] / ceiling,
            "stance": ours["computed_gflops_per_second"] / ceiling,
        },
    }
    print(f"{ours['train_sentences']} sentences x {args.epochs} epochs; fp32 matmul ceiling {ceiling:.0f} GFLOP/s (measured in this run)")
    print("| recipe | sentences/s | s/epoch | useful GFLOP/s (% of matmul) | computed GFLOP/s | peak RSS MiB | val macro-F1 |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['sentences_per_second']:.1f} | {r['seconds_per_epoch']:.1f} | {r['useful_gflops_per_second']:.0f} "
            f"({r['useful_gflops_per_second'] / ceiling:.0%}) | {r['computed_gflops_per_second']:.0f} | {r['peak_rss_mib']:.0f} "
            f"| {r['validation_macro_f1']:.3f} |"
        )
    print(f"throughput ratio stance/stock: {report['throughput_ratio']:.2f}x; macro-F1 difference {report['macro_f1_difference_points']:+.1f} points")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
