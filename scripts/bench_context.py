"""What the previous sentence costs in training: steps of the default recipe with and without context, in one run.

    python scripts/bench_context.py --prepared data/processed/diplomatic [--rounds 3] [--batches 24]

The machine's speed drifts over hours, so the runs' own training times cannot be set side by side.
This draws one sample of training sentences, cuts it into length-grouped batches of 16 (as the
trainer groups them) for each context budget, and times forward, backward and an optimiser step of
the default encoder with its lower 4 layers frozen and bf16 autocast, alternating the budgets round
by round. It prints each budget's median against no context.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np


def main() -> None:
    import datasets
    import torch

    from stance.modeling.encoding import encode
    from stance.modeling.fine_tuning import TrainOptions, freeze_lower_layers
    from stance.modeling.loading import ModelOptions, load_for_training, resolve_model_source

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepared", required=True, help="a prepared dataset (stance-prepare's output folder)")
    parser.add_argument("--budgets", type=int, nargs="+", default=[16, 48], help="context_tokens to time against no context")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=24)
    args = parser.parse_args()

    torch.manual_seed(0)
    recipe, encoder = TrainOptions(), ModelOptions()
    model, tokenizer = load_for_training(resolve_model_source(encoder.name_or_path), ("conciliatory", "hardline", "neutral"))
    freeze_lower_layers(model, recipe.freeze_embeddings, recipe.freeze_layers)
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=recipe.learning_rate)
    train = datasets.load_from_disk(args.prepared)["train"]
    rng = random.Random(0)
    sample = rng.sample(range(len(train)), recipe.batch_size * args.batches)
    texts, previous = [train[i]["text"] for i in sample], [train[i]["previous"] for i in sample]
    labels = torch.tensor([train[i]["label"] for i in sample])

    def batches(context_tokens: int) -> list:
        encoded = encode(tokenizer, texts, encoder.max_length, previous if context_tokens else None, context_tokens)
        order = np.argsort([len(ids) for ids in encoded["input_ids"]])
        out = []
        for start in range(0, len(order), recipe.batch_size):
            rows = order[start : start + recipe.batch_size]
            features = {name: [values[i] for i in rows] for name, values in encoded.items()}
            out.append((tokenizer.pad(features, return_tensors="pt"), labels[rows]))
        rng.shuffle(out)
        return out

    model.train()
    budgets = [0, *args.budgets]
    seconds: dict[int, list[float]] = {b: [] for b in budgets}
    for round_number in range(args.rounds):
        for budget in budgets:
            prepared = batches(budget)
            start = time.perf_counter()
            for features, gold in prepared:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    loss = model(**features, labels=gold).loss
                loss.backward()
                optimiser.step()
                optimiser.zero_grad()
            seconds[budget].append(time.perf_counter() - start)
            print(f"round {round_number + 1}, context_tokens={budget}: {seconds[budget][-1]:.1f} s", flush=True)
    base = float(np.median(seconds[0]))
    for budget in args.budgets:
        print(f"context_tokens={budget}: {np.median(seconds[budget]) / base:.2f}x the steps without context")


if __name__ == "__main__":
    main()
