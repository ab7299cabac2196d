"""Train a model from Python: prepare (if needed), fine-tune, calibrate, evaluate and publish one run folder.

`train_model` is what `stance-train` runs, with plain option dataclasses instead of a Hydra config:

    from stance import train_model
    from stance.modeling.fine_tuning import TrainOptions
    from stance.modeling.loading import ModelOptions

    result = train_model(model=ModelOptions("sentence-transformers/all-MiniLM-L6-v2"), trainer=TrainOptions(epochs=3, batch_size=32))
    result.model_dir, result.metrics["evaluations"]["test"]["macro_f1"]
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from stance.data.dataset import DataOptions
from stance.evaluation.evaluator import EvalOptions
from stance.modeling.distillation import DistillOptions
from stance.modeling.fine_tuning import TrainOptions
from stance.modeling.loading import ModelOptions
from stance.runs.publish import TrainResult, publish_run


def train_model(
    data: DataOptions | None = None,
    model: ModelOptions | None = None,
    trainer: TrainOptions | None = None,
    evaluation: EvalOptions | None = None,
    distill: DistillOptions | None = None,
    *,
    name: str = "default",
    seed: int = 42,
    run_root: str | Path = "outputs",
    run_dir: str | Path | None = None,
    debug_run: str | None = None,
    config: dict[str, Any] | None = None,
) -> TrainResult | None:
    """Fine-tune `model` on `data` and publish `<run_root>/runs/<timestamp>_<name>_seed<seed>/` (or `run_dir`).

    Each option group defaults to the package default (the bundled data, all-mpnet-base-v2 and its
    recipe). `config` is what to save as the run's `config.yaml` (the command passes the resolved
    Hydra config; by default the options themselves). Under torchrun every rank trains; only rank 0
    prepares the data, publishes the run and gets a result (the others get None).
    """
    from transformers import set_seed

    from stance.data.dataset import is_current, load_prepared, prepare_dataset
    from stance.evaluation.evaluator import document_manifest
    from stance.evaluation.rows import held_out_rows, held_out_running
    from stance.modeling.distillation import teacher_signal
    from stance.modeling.fine_tuning import fine_tune, resolve_device
    from stance.modeling.loading import load_for_training, resolve_model_source
    from stance.runs.folders import config_key, run_folder
    from stance.runs.tracking import log_run_folder, mlflow_run

    data, model, trainer = data or DataOptions(), model or ModelOptions(), trainer or TrainOptions()
    evaluation, distill = evaluation or EvalOptions(), distill or DistillOptions()
    config = config or _options_snapshot(name, seed, data, model, trainer, evaluation, distill)
    rank = int(os.environ.get("RANK", "0"))
    if rank == 0 and not is_current(data):
        print(f"preparing {data.name} -> {data.prepared_dir}")
        prepare_dataset(data)
    _wait_for_rank_zero(resolve_device(trainer.device))
    dataset = load_prepared(data.prepared_dir)
    labels = tuple(dataset["train"].features["label"].names)
    trained_on = [t for split in ("train", "validation") if split in dataset for t in dataset[split]["text"]]
    scored = labels if "neutral" in labels else (*labels, "neutral")  # held-out sets are scored three-way: neutral rows show what takes no side
    real_dev = (
        held_out_rows(data, evaluation.real_dev, scored, trained_on, "real-text development set", "eval.real_dev") if evaluation.real_dev else None
    )
    running = held_out_running(evaluation.running, trained_on) if evaluation.running else None
    if evaluation.raw_articles:
        document_manifest(Path(evaluation.raw_articles))  # fail now, not after training
    signal = None
    if distill.teacher:
        signal = teacher_signal(
            distill,
            dataset,
            labels,
            columns=data.columns,
            boilerplate_patterns=data.boilerplate_patterns,
            min_chars=data.min_chars,
            splits_file=data.prepared_dir / "splits.jsonl",
            held_out_texts=(real_dev.texts if real_dev is not None else []) + (running.texts if running is not None else []),
            seed=seed,
            max_length=model.max_length,
        )

    source = resolve_model_source(model.name_or_path, model.allow_pickle_weights)
    set_seed(seed)  # before the classification head is initialised, so the same seed gives the same model
    network, tokenizer = load_for_training(source, labels, model.revision, model.allow_pickle_weights)
    root = Path(run_root)
    checkpoint_dir = root / "checkpoints" / f"{name}-{config_key(config)}"
    target = Path(run_dir) if run_dir else run_folder(root / "runs", name, seed)
    print(f"fine-tuning {model.name_or_path} on {len(dataset['train'])} sentences ({', '.join(labels)})")
    params = _flatten({k: config[k] for k in ("data", "model", "trainer", "seed", "name") if k in config})
    with mlflow_run("mlflow" in trainer.report_to, root, target.name, params) as tracker:
        outcome = fine_tune(
            dataset,
            network,
            tokenizer,
            labels,
            checkpoint_dir,
            trainer,
            max_length=model.max_length,
            context_tokens=model.context_budget,
            seed=seed,
            distill=signal,
            stop_when_stuck=debug_run is None,  # a debug run (a few steps of a random model) is not meant to learn
        )
        if rank != 0:
            return None
        result = publish_run(
            outcome,
            dataset,
            labels,
            data=data,
            model=model,
            trainer=trainer,
            evaluation=evaluation,
            run_dir=target,
            run_root=root,
            checkpoint_dir=checkpoint_dir,
            source=source,
            name=name,
            seed=seed,
            debug_run=debug_run,
            teacher=distill.teacher,
            distill_recipe=signal.recipe if signal is not None else None,
            real_dev=real_dev,
            running=running,
            config=config,
        )
        log_run_folder(tracker, result.run_dir)
    return result


def _options_snapshot(name: str, seed: int, *groups: Any) -> dict[str, Any]:
    keys = ("data", "model", "trainer", "eval", "distill")
    return {"name": name, "seed": seed, **{k: dataclasses.asdict(g) for k, g in zip(keys, groups)}}


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _wait_for_rank_zero(device: str) -> None:
    """Other ranks wait until rank 0 has prepared the data."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device == "cuda" else "gloo")
    dist.barrier()
