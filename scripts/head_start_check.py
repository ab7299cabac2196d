"""Two screens of fitting the head first (docs/results.md, "A head fitted longer, and the fine-tuned weights mixed back").

    python scripts/head_start_check.py passes [--passes 1,2,5,10,20,30,50]
    python scripts/head_start_check.py wise RUN_DIR [--seed 42] [--alphas 1.0,0.9,0.8]

`passes`: how well the classification head alone fits the frozen default encoder's first-token
features (`stance.modeling.probing.first_token_features`, fitted by its `fit_head`) after N passes: training
accuracy, three-way macro-F1 on validation and on its real rows.

`wise`: WiSE-FT (Wortsman et al., CVPR 2022). Mixes a trained default model's weights with those its
fine-tuning started from (the pretrained encoder with the head fitted first, recomputed with the
run's seed as `stance-train` computes it), alpha * trained + (1 - alpha) * start, and scores binary
macro-F1 from the logits on real-text dev, the test and validation splits (and their real rows) and
running text, plus running text's three-way argmax. Both read the default's prepared data
(`stance-prepare` first).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

PREPARED = "data/processed/diplomatic"


def passes(counts: list[int]) -> None:
    import torch
    from datasets import load_from_disk
    from sklearn.metrics import accuracy_score, f1_score
    from transformers import DataCollatorWithPadding, set_seed

    from stance.modeling.encoding import by_length
    from stance.modeling.fine_tuning import tokenize_splits
    from stance.modeling.loading import DEFAULT_ENCODER, ModelOptions, load_for_training, resolve_model_source
    from stance.modeling.probing import first_token_features, fit_head

    data = load_from_disk(PREPARED)
    labels = tuple(data["train"].features["label"].names)
    set_seed(42)
    model, tokenizer = load_for_training(resolve_model_source(DEFAULT_ENCODER), labels)
    encoded = tokenize_splits(data, tokenizer, ModelOptions().max_length)
    collate = DataCollatorWithPadding(tokenizer)
    x_train, y_train = first_token_features(model, encoded["train"], collate, torch.bfloat16)
    x_val, y_val = first_token_features(model, encoded["validation"], collate, torch.bfloat16)
    # the features come in order of length: the real rows of validation are picked out by the same order
    origin = by_length(encoded["validation"].add_column("origin", data["validation"]["origin"]))["origin"]
    real = np.asarray(origin) == "real"

    def report(done: int) -> None:
        if done not in counts:
            return
        model.classifier.eval()
        with torch.no_grad():
            fit, pred = model.classifier(x_train).argmax(-1).numpy(), model.classifier(x_val).argmax(-1).numpy()
        gold = y_val.numpy()
        figures = {
            "passes": done,
            "train_accuracy": round(accuracy_score(y_train.numpy(), fit), 3),
            "validation_macro_f1": round(f1_score(gold, pred, average="macro"), 3),
            "validation_real_macro_f1": round(f1_score(gold[real], pred[real], average="macro"), 3),
        }
        print(json.dumps(figures), flush=True)

    fit_head(model.classifier, x_train, y_train, max(counts), 42, after_pass=report)


def wise(run_dir: Path, seed: int, alphas: list[float]) -> None:
    import torch
    from datasets import load_from_disk
    from sklearn.metrics import f1_score
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, set_seed

    from stance.data.readers import Columns, read_sentences
    from stance.inference.backends import TorchBackend
    from stance.inference.classifier import StanceClassifier
    from stance.modeling.fine_tuning import TrainOptions, freeze_lower_layers, tokenize_splits
    from stance.modeling.loading import DEFAULT_ENCODER, ModelOptions, load_for_training, resolve_model_source
    from stance.modeling.probing import probe_head

    data = load_from_disk(PREPARED)
    labels = tuple(data["train"].features["label"].names)
    recipe, max_length = TrainOptions(), ModelOptions().max_length
    set_seed(seed)  # as stance.runs.training and fine_tune do: the same seed gives the same start
    start_model, tokenizer = load_for_training(resolve_model_source(DEFAULT_ENCODER), labels)
    set_seed(seed)
    freeze_lower_layers(start_model, recipe.freeze_embeddings, recipe.freeze_layers)
    encoded = tokenize_splits(data, tokenizer, max_length)
    probe_head(start_model, encoded["train"], DataCollatorWithPadding(tokenizer), recipe.probe_epochs, seed, torch.bfloat16)
    start = start_model.state_dict()
    trained_model = AutoModelForSequenceClassification.from_pretrained(run_dir / "model")
    trained = {k: v.clone() for k, v in trained_model.state_dict().items()}
    # raw logits as stance-train scores the saved model (the weights change in place for each alpha)
    scorer = StanceClassifier(TorchBackend(trained_model), AutoTokenizer.from_pretrained(run_dir / "model"), labels, max_length=max_length)

    sets: dict[str, tuple[list[str], np.ndarray, np.ndarray | None]] = {}
    for name, path in (("dev", "data/realtext/dev.jsonl"), ("running", "data/realtext/running.jsonl")):
        rows = list(read_sentences([path], Columns()))
        sets[name] = ([r.text for r in rows], np.asarray([r.label for r in rows]), None)
    for split in ("validation", "test"):
        rows = data[split]
        sets[split] = (rows["text"], np.asarray([labels[i] for i in rows["label"]]), np.asarray(rows["origin"]) == "real")

    def binary_f1(scores: np.ndarray, gold: np.ndarray, keep: np.ndarray) -> float:
        keep = keep & (gold != "neutral")
        pred = np.where(scores[:, labels.index("conciliatory")] >= scores[:, labels.index("hardline")], "conciliatory", "hardline")
        return round(f1_score(gold[keep], pred[keep], average="macro"), 3)

    trained_model.eval()
    for alpha in alphas:
        trained_model.load_state_dict({k: alpha * v + (1 - alpha) * start[k] if v.is_floating_point() else v for k, v in trained.items()})
        figures: dict[str, Any] = {"alpha": alpha}
        for name, (texts, gold, real) in sets.items():
            scores = scorer.logits(texts)
            figures[name] = binary_f1(scores, gold, np.ones(len(gold), dtype=bool))
            if real is not None:
                figures[f"{name}_real"] = binary_f1(scores, gold, real)
            if name == "running":
                figures["running_three_way_argmax"] = round(f1_score(gold, [labels[i] for i in scores.argmax(1)], average="macro"), 3)
        print(json.dumps(figures), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="screen", required=True)
    p = sub.add_parser("passes")
    p.add_argument("--passes", default="1,2,5,10,20,30,50")
    w = sub.add_parser("wise")
    w.add_argument("run_dir", type=Path)
    w.add_argument("--seed", type=int, default=42)
    w.add_argument("--alphas", default="1.0,0.9,0.8")
    args = parser.parse_args()
    if args.screen == "passes":
        passes([int(n) for n in args.passes.split(",")])
    else:
        wise(args.run_dir, args.seed, [float(a) for a in args.alphas.split(",")])


if __name__ == "__main__":
    main()
