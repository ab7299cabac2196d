"""What the previous sentence costs in training: steps of the default recipe with and without context, in one run.

    python scripts/bench_context.py --prepared data/processed/diplomatic [--rounds 3] [--batches 24]
        [--setups 0:4 16:4 48:4 48:8]

The machine's speed drifts over hours, so the runs' own training times cannot be set side by side.
This draws one sample of training sentences, cuts it into length-grouped batches of 16 (as the
trainer groups them) for each context budget, and times forward, backward and an optimiser step of
the default encoder with bf16 autocast, alternating the setups round by round. A setup is
`context_tokens:frozen_layers` (the embeddings are frozen in each); the first is the yardstick, and
each other setup's median is printed against it, so a cheaper recipe with context can be priced
against the default without context.
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
    parser.add_argument("--setups", nargs="+", default=None, help="context_tokens:frozen_layers; the first is the yardstick")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=24)
    args = parser.parse_args()

    torch.manual_seed(0)
    recipe, encoder = TrainOptions(), ModelOptions()
    model, tokenizer = load_for_training(resolve_model_source(encoder.name_or_path), ("conciliatory", "hardline", "neutral"))
    chosen = args.setups or [f"{tokens}:{recipe.freeze_layers}" for tokens in (0, 16, 48)]
    setups = [tuple(int(part) for part in setup.split(":")) for setup in chosen]
    # One optimiser over every parameter: a frozen parameter has no gradient, and AdamW skips it.
    optimiser = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate)
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
    seconds: dict[tuple[int, ...], list[float]] = {setup: [] for setup in setups}
    for round_number in range(args.rounds):
        for setup in setups:
            budget, frozen = setup
            model.requires_grad_(True)
            freeze_lower_layers(model, True, frozen)
            prepared = batches(budget)
            start = time.perf_counter()
            for features, gold in prepared:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    loss = model(**features, labels=gold).loss
                loss.backward()
                optimiser.step()
                optimiser.zero_grad()
            seconds[setup].append(time.perf_counter() - start)
            print(f"round {round_number + 1}, context_tokens={budget}, frozen layers {frozen}: {seconds[setup][-1]:.1f} s", flush=True)
    base = float(np.median(seconds[setups[0]]))
    for budget, frozen in setups[1:]:
        ratio = np.median(seconds[(budget, frozen)]) / base
        print(f"context_tokens={budget}, frozen layers {frozen}: {ratio:.2f}x the steps of {setups[0][0]} tokens with {setups[0][1]} frozen")


if __name__ == "__main__":
    main()
