"""Replay the active-learning loop on the bundled corpus: our selection strategy against random selection.

    python scripts/simulate_active_learning.py [--learner logreg|finetune] [--seeds 0 1 2] [--json FILE] [--png FILE]

The labels of the prepared train split are hidden until a sentence is "annotated". Each run starts
from 100 sentences (a diverse seed sample for our strategy, random for the baseline), adds 100 per
round for 6 rounds, and scores the test split after every round (macro-F1). Learners:

- `logreg` (default, minutes): logistic regression on frozen sentence embeddings of the default
  encoder's pretrained weights; selection uses its margins and the same embeddings.
- `finetune` (about an hour on 2 cores): the real loop, fine-tuning MiniLM with the fast recipe
  (`experiment=minilm`) from scratch each round; selection uses the fine-tuned model's margins and
  its encoder's embeddings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

START, STEP, ROUNDS = 100, 100, 6


def _config(overrides: list[str]):
    from hydra import compose, initialize_config_dir

    from stance.config import CONFIG_DIR, PRIMARY_CONFIG

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=PRIMARY_CONFIG, overrides=overrides)


def _data(cfg):
    from stance.config import options
    from stance.data.dataset import is_current, load_prepared, prepare_dataset

    data = options(cfg, "data")
    if not is_current(data):
        prepare_dataset(data)
    return load_prepared(data.prepared_dir)


class LogReg:
    """Frozen embeddings + logistic regression: the selection strategy's signal without hours of fine-tuning."""

    def __init__(self, cfg, texts: list[str]) -> None:
        from stance.annotation.embedding import load_encoder, sentence_embeddings
        from stance.modeling.loading import resolve_model_source

        encoder, tokenizer = load_encoder(resolve_model_source(cfg.model.name_or_path))
        self.vectors = sentence_embeddings(encoder, tokenizer, texts)
        self.index = {t: i for i, t in enumerate(texts)}

    def fit_predict(self, train_idx, y_train, score_idx, seed):
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(max_iter=2000, C=1.0, random_state=seed).fit(self.vectors[train_idx], y_train)
        return model.predict_proba(self.vectors[score_idx]), self.vectors[score_idx]


class FineTune:
    """The real loop: fine-tune the fast recipe on the labelled sentences each round."""

    def __init__(self, cfg, texts: list[str]) -> None:
        self.cfg, self.texts = cfg, texts

    def fit_predict(self, train_idx, y_train, score_idx, seed):
        from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

        from stance.annotation.embedding import sentence_embeddings
        from stance.inference.backends import TorchBackend
        from stance.inference.classifier import StanceClassifier
        from stance.modeling.fine_tuning import TrainOptions, fine_tune
        from stance.modeling.loading import load_for_training, resolve_model_source

        labels = tuple(self.cfg.data.labels)
        features = Features({"text": Value("string"), "label": ClassLabel(names=list(labels))})
        ds = DatasetDict({"train": Dataset.from_dict({"text": [self.texts[i] for i in train_idx], "label": list(y_train)}, features=features)})
        model, tokenizer = load_for_training(resolve_model_source(self.cfg.model.name_or_path), labels)
        t = self.cfg.trainer
        opts = TrainOptions(
            epochs=t.epochs,
            batch_size=t.batch_size,
            learning_rate=t.learning_rate,
            early_stopping_patience=0,
            freeze_embeddings=t.freeze_embeddings,
            freeze_layers=t.freeze_layers,
            report_to=[],
        )
        with tempfile.TemporaryDirectory() as tmp:
            outcome = fine_tune(ds, model, tokenizer, labels, Path(tmp), opts, seed=seed)
        clf = StanceClassifier(TorchBackend(outcome.model.eval()), tokenizer, labels)
        texts = [self.texts[i] for i in score_idx]
        return clf.predict_proba(texts), sentence_embeddings(outcome.model.base_model, tokenizer, texts)


def replay(learner, pool_idx: np.ndarray, y: np.ndarray, test_idx: np.ndarray, strategy: str, seed: int, seed_vectors: np.ndarray) -> list[float]:
    from sklearn.metrics import f1_score

    from stance.annotation.selection import select

    rng = np.random.default_rng(seed)
    if strategy == "random":
        labelled = list(rng.choice(pool_idx, START, replace=False))
    else:
        labelled = [int(pool_idx[i]) for i in select(START, seed, seed_vectors, None)]
    curve = []
    for round_ in range(ROUNDS + 1):
        proba_test, _ = learner.fit_predict(np.array(labelled), y[labelled], test_idx, seed)
        curve.append(float(f1_score(y[test_idx], proba_test.argmax(axis=1), average="macro")))
        if round_ == ROUNDS:
            break
        remaining = np.array(sorted(set(pool_idx.tolist()) - set(labelled)))
        if strategy == "random":
            labelled += list(rng.choice(remaining, STEP, replace=False))
        else:
            proba, vectors = learner.fit_predict(np.array(labelled), y[labelled], remaining, seed)
            labelled += [int(remaining[i]) for i in select(STEP, seed + round_, vectors, proba, strategy)]
        print(f"  {strategy} seed {seed} round {round_ + 1}: {len(labelled)} labelled, last test macro-F1 {curve[-1]:.3f}", flush=True)
    return curve


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learner", choices=["logreg", "finetune"], default="logreg")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--strategies", nargs="+", default=["margin_diverse", "margin", "random"])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--png", type=Path)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, after --")
    args = parser.parse_args()

    cfg = _config(["experiment=minilm", *args.overrides])
    ds = _data(cfg)
    texts = list(ds["train"]["text"]) + list(ds["test"]["text"])
    y = np.array(list(ds["train"]["label"]) + list(ds["test"]["label"]))
    pool_idx = np.arange(len(ds["train"]))
    test_idx = np.arange(len(ds["train"]), len(texts))
    learner = LogReg(cfg, texts) if args.learner == "logreg" else FineTune(cfg, texts)
    seed_vectors = learner.vectors[pool_idx] if args.learner == "logreg" else _pretrained_vectors(cfg, [texts[i] for i in pool_idx])
    curves: dict[str, list[list[float]]] = {s: [] for s in args.strategies}
    for seed in args.seeds:
        for strategy in args.strategies:
            curves[strategy].append(replay(learner, pool_idx, y, test_idx, strategy, seed, seed_vectors))
    sizes = [START + STEP * r for r in range(ROUNDS + 1)]
    print(f"\nlearner {args.learner}, {len(args.seeds)} seeds, pool {len(pool_idx)} sentences, test {len(test_idx)}:")
    print("mean test macro-F1 (min-max over seeds)")
    print("| labelled | " + " | ".join(args.strategies) + " |")
    print("|---" * (len(args.strategies) + 1) + "|")
    for r, size in enumerate(sizes):
        cells = []
        for s in args.strategies:
            at = [c[r] for c in curves[s]]
            cells.append(f"{np.mean(at):.3f} ({min(at):.3f}-{max(at):.3f})")
        print(f"| {size} | " + " | ".join(cells) + " |")
    report = {"learner": args.learner, "seeds": args.seeds, "sizes": sizes, "pool": len(pool_idx), "test": len(test_idx), "curves": curves}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.png:
        _plot(report, args.png)
    return 0


def _pretrained_vectors(cfg, texts: list[str]) -> np.ndarray:
    from stance.annotation.embedding import load_encoder, sentence_embeddings
    from stance.modeling.loading import resolve_model_source

    encoder, tokenizer = load_encoder(resolve_model_source(cfg.model.name_or_path))
    return sentence_embeddings(encoder, tokenizer, texts)


def _plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for strategy, runs in report["curves"].items():
        runs = np.array(runs)
        line = ax.plot(report["sizes"], runs.mean(axis=0), marker="o", label=strategy)[0]
        ax.fill_between(report["sizes"], runs.min(axis=0), runs.max(axis=0), color=line.get_color(), alpha=0.15, linewidth=0)
    ax.set_xlabel("labelled sentences")
    ax.set_ylabel("test macro-F1")
    ax.set_title(f"Active learning replay ({report['learner']}, {len(report['seeds'])} seeds; band = min-max)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
