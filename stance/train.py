"""`stance-train`: prepare (if needed), fine-tune, calibrate, evaluate; one finished run folder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from stance.cli import data_output_dir, eval_options, external_rows, options_from, prepare_options, run_hydra_app


def train(cfg: DictConfig) -> dict[str, Any]:
    """Train per `cfg`; return metrics and artifact paths (`run_dir`, `model_dir`, `report`)."""
    from stance.data.dataset import is_current, load_prepared, prepare_dataset
    from stance.modeling.fine_tuning import TrainOptions, fine_tune
    from stance.modeling.loading import load_for_training, resolve_model_source
    from stance.runs.folders import config_key
    from stance.runs.tracking import log_run_folder, mlflow_run

    resolved = OmegaConf.to_container(cfg, resolve=True)
    rank = int(os.environ.get("RANK", "0"))
    popts = prepare_options(cfg.data)
    if rank == 0 and not is_current(popts):
        print(f"preparing {cfg.data.name} -> {popts.output_dir}")
        prepare_dataset(popts)
    _wait_for_rank_zero()
    dataset = load_prepared(data_output_dir(cfg.data))
    labels = tuple(dataset["train"].features["label"].names)
    real_dev = _real_dev_rows(cfg, labels, dataset)
    distill = _distillation(cfg, dataset, labels, real_dev) if cfg.distill.teacher else None
    stats = json.loads((data_output_dir(cfg.data) / "stats.json").read_text(encoding="utf-8"))

    source = resolve_model_source(cfg.model.name_or_path, cfg.model.allow_pickle_weights)
    from transformers import set_seed

    set_seed(cfg.seed)  # before the classification head is initialised, so the same seed gives the same model
    model, tokenizer = load_for_training(source, labels, cfg.model.revision, cfg.model.allow_pickle_weights)
    run_root = Path(cfg.run_root)  # <output_root>, or <output_root>/debug for debug configs
    checkpoint_dir = run_root / "checkpoints" / f"{cfg.name}-{config_key(resolved)}"
    t = cfg.trainer
    opts = options_from(TrainOptions, resolved["trainer"], max_length=cfg.model.max_length, seed=cfg.seed)
    print(f"fine-tuning {cfg.model.name_or_path} on {len(dataset['train'])} sentences ({', '.join(labels)})")
    run_dir = _run_dir(cfg, run_root)
    flat_params = _flatten({k: resolved[k] for k in ("data", "model", "trainer", "seed", "name")})
    with mlflow_run("mlflow" in t.report_to, Path(cfg.output_root), run_dir.name, flat_params) as tracker:
        outcome = fine_tune(dataset, model, tokenizer, labels, checkpoint_dir, opts, distill)
        if rank != 0:
            return {"rank": rank}
        recipe = distill.recipe if distill is not None else None
        result = _finish(cfg, dataset, stats, source, labels, tokenizer, outcome, run_dir, run_root, checkpoint_dir, real_dev, recipe)
        log_run_folder(tracker, run_dir)
    return result


def _finish(
    cfg: DictConfig,
    dataset: Any,
    stats: dict[str, Any],
    source: str,
    labels: tuple[str, ...],
    tokenizer: Any,
    outcome: Any,
    run_dir: Path,
    run_root: Path,
    checkpoint_dir: Path,
    real_dev: Any = None,
    distill_recipe: str | None = None,
) -> dict[str, Any]:
    """Calibrate, save, evaluate and publish a finished training run (rank 0 only)."""
    from stance.evaluation.evaluator import LabelledRows, evaluate_classifier
    from stance.inference.backends import TorchBackend
    from stance.inference.classifier import StanceClassifier
    from stance.inference.settings import write_settings
    from stance.modeling.calibration import expected_calibration_error, fit_temperature, negative_log_likelihood, scaled_probabilities
    from stance.modeling.model_card import write_model_card
    from stance.runs.atomic import atomic_directory
    from stance.runs.folders import mark_latest, provenance

    t = cfg.trainer

    clf = StanceClassifier(TorchBackend(outcome.model.eval()), tokenizer, labels, max_length=cfg.model.max_length, batch_size=cfg.eval.batch_size)
    validation = LabelledRows.from_dataset(dataset["validation"]) if "validation" in dataset else None
    calibration: dict[str, Any] = {"temperature": 1.0}
    if validation is not None and validation.texts:
        vlogits = clf.logits(validation.texts)
        vgold = validation.gold_ids(labels)
        clf.temperature = fit_temperature(vlogits, vgold)
        calibration = {
            "temperature": clf.temperature,
            "validation_ece_before": expected_calibration_error(scaled_probabilities(vlogits, 1.0), vgold, cfg.eval.calibration_bins),
            "validation_ece_after": expected_calibration_error(scaled_probabilities(vlogits, clf.temperature), vgold, cfg.eval.calibration_bins),
            "validation_nll_before": negative_log_likelihood(vlogits, vgold),
            "validation_nll_after": negative_log_likelihood(vlogits, vgold, clf.temperature),
        }

    with atomic_directory(run_dir) as tmp:
        model_dir = tmp / "model"
        outcome.model.save_pretrained(model_dir, safe_serialization=True)
        tokenizer.save_pretrained(model_dir)
        write_settings(
            model_dir, {
                "temperature": clf.temperature,
                "max_length": cfg.model.max_length,
                "labels": list(labels),
                "min_confidence": None,
                "debug_run": cfg.debug_run,
                "teacher": cfg.distill.teacher and str(Path(cfg.distill.teacher).resolve()),
            }
        )
        eval_split = cfg.eval.split if cfg.eval.split in dataset else "validation"
        test_rows = LabelledRows.from_dataset(dataset[eval_split])
        train_rows = LabelledRows.from_dataset(dataset["train"])
        metrics = evaluate_classifier(clf, test_rows, tmp / f"eval-{eval_split}", eval_options(cfg), train_rows, validation, title=eval_split)
        dev_metrics = None
        if real_dev is not None:
            title = "real-text development set"
            dev_metrics = evaluate_classifier(clf, real_dev, tmp / "eval-realdev", eval_options(cfg), train_rows, validation, title=title)
        summary = {
            "test": _headline(metrics),
            **({"real_dev": _headline(dev_metrics)} if dev_metrics else {}),
            "validation_best_macro_f1": outcome.best_metric,
            "calibration": calibration,
            "train": {
                "steps": outcome.steps,
                "seconds": round(outcome.train_seconds, 2),
                "sentences": len(dataset["train"]),
                "world_size": outcome.world_size,
                "global_batch_size": outcome.global_batch_size,
            },
            "history": outcome.history,
            "dataset": {"path": str(data_output_dir(cfg.data)), "fingerprint": stats["fingerprint"], "splits": stats["splits"]},
        }
        write_model_card(
            model_dir,
            name=cfg.name,
            base_model=cfg.model.name_or_path,
            seed=cfg.seed,
            learning_rate=cfg.trainer.learning_rate,
            debug_run=cfg.debug_run,
            teacher=_teacher_name(cfg),
            distill_recipe=distill_recipe,
            labels=labels,
            summary=summary,
            stats=stats,
        )
        if (checkpoint_dir / "runs").is_dir():
            shutil.copytree(checkpoint_dir / "runs", tmp / "tensorboard")
        (tmp / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        (tmp / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")
        (tmp / "provenance.json").write_text(
            json.dumps(provenance({"dataset_fingerprint": stats["fingerprint"], "model_source": source}), indent=2) + "\n", encoding="utf-8"
        )
    mark_latest(run_root, run_dir)
    if not t.keep_checkpoints:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)

    report = run_dir / f"eval-{eval_split}" / "report.md"
    test = summary["test"]
    print(
        f"{eval_split} macro-F1 {test['macro_f1']:.3f} (95% CI {test['macro_f1_ci'][0]:.3f}-{test['macro_f1_ci'][1]:.3f}), "
        f"accuracy {test['accuracy']:.3f}; TF-IDF baseline macro-F1 {test.get('tfidf_lr_macro_f1', float('nan')):.3f}"
        + (
            f"; hard cases {test['hard_cases_macro_f1']:.3f} vs TF-IDF {test['tfidf_lr_hard_cases_macro_f1']:.3f}"
            if "tfidf_lr_hard_cases_macro_f1" in test
            else ""
        )
    )
    if dev_metrics:
        dev = summary["real_dev"]
        print(
            f"real-text dev macro-F1 {dev['macro_f1']:.3f} (95% CI {dev['macro_f1_ci'][0]:.3f}-{dev['macro_f1_ci'][1]:.3f}), "
            f"accuracy {dev['accuracy']:.3f}; TF-IDF baseline macro-F1 {dev.get('tfidf_lr_macro_f1', float('nan')):.3f} "
            f"({dev['n']} sentences, never trained on)"
        )
    print(f"model:  {run_dir / 'model'}")
    print(f"report: {report}")
    return {
        "run_dir": str(run_dir),
        "model_dir": str(run_dir / "model"),
        "report": str(report),
        "metrics": summary,
        "validation_macro_f1": outcome.best_metric,
    }


def _real_dev_rows(cfg: DictConfig, labels: tuple[str, ...], dataset: Any) -> Any:
    """The real-text development set in the model's label set, checked absent from training; None when off or foreign."""
    import sys

    from stance.data.cleaning import dedup_key
    from stance.errors import StanceError

    if not cfg.eval.real_dev:
        return None
    try:
        rows = external_rows(cfg.data, [cfg.eval.real_dev], labels)
    except StanceError as err:
        if "unknown label" not in str(err):
            raise
        print(f"stance: note: real-text development set skipped: its labels are not this model's ({', '.join(labels)})", file=sys.stderr)
        return None
    seen = {dedup_key(t) for split in ("train", "validation") if split in dataset for t in dataset[split]["text"]}
    leaked = [t for t in rows.texts if dedup_key(t) in seen]
    if leaked:
        raise StanceError(
            f"{len(leaked)} sentence(s) of the real-text development set are in the training data (e.g. \"{leaked[0][:60]}\")",
            where=str(cfg.eval.real_dev),
            fix="remove the development set from data.inputs: it must never be trained on (or set eval.real_dev=null)",
        )
    return rows


def _distillation(cfg: DictConfig, dataset: Any, labels: tuple[str, ...], real_dev: Any) -> Any:
    """Teacher logits for the train split and for unlabelled transfer sentences outside every held-out document."""
    import json as _json

    from stance.data.augmentation import perturbed_copies
    from stance.data.readers import Columns
    from stance.data.transfer import transfer_sentences
    from stance.errors import StanceError
    from stance.inference.settings import read_settings
    from stance.modeling.distillation import Distillation, cached_teacher_outputs, teacher_outputs
    from stance.modeling.loading import load_trained

    d = cfg.distill
    teacher_dir = Path(d.teacher).expanduser()
    model, tokenizer, teacher_labels = load_trained(teacher_dir)
    if tuple(teacher_labels) != labels:
        raise StanceError(
            f"the teacher's labels ({', '.join(teacher_labels)}) are not the student's ({', '.join(labels)})",
            where=f"distill.teacher={d.teacher}",
            fix="distil from a teacher trained on the same data.labels",
        )
    splits = data_output_dir(cfg.data) / "splits.jsonl"
    assignment = [_json.loads(line) for line in splits.read_text(encoding="utf-8").splitlines() if line.strip()]
    held_docs = {a["doc_id"] for a in assignment if a["split"] != "train"}
    skip = [t for split in dataset for t in dataset[split]["text"] if split != "unlabelled"]
    if real_dev is not None:
        skip += real_dev.texts
    texts = transfer_sentences(
        list(d.unlabelled),
        held_out_docs=held_docs,
        skip_texts=skip,
        columns=Columns(**dict(cfg.data.columns)),
        boilerplate_patterns=list(cfg.data.boilerplate_patterns),
        min_chars=cfg.data.min_chars,
        max_sentences=d.max_unlabelled,
        seed=cfg.seed,
    )
    train_texts = list(dataset["train"]["text"])
    copies = perturbed_copies(train_texts, d.augment_copies, seed=cfg.seed, skip_texts=skip + texts)
    texts += copies
    print(
        f"distilling from {d.teacher}: the teacher scores {len(train_texts)} training sentences, "
        f"{len(texts) - len(copies)} unlabelled sentences and {len(copies)} perturbed copies"
    )
    features = d.feature_weight > 0
    max_length = read_settings(teacher_dir).get("max_length") or cfg.model.max_length

    def score(batch: list[str]) -> dict[str, Any]:
        return teacher_outputs(model, tokenizer, batch, features=features, batch_size=d.batch_size, max_length=max_length)

    everything = train_texts + texts
    tag = "logits+features" if features else "logits"
    out = cached_teacher_outputs(score, teacher_dir, everything, tag) if d.cache else score(everything)
    n = len(train_texts)
    return Distillation(
        train_logits=out["logits"][:n],
        transfer_texts=texts,
        transfer_logits=out["logits"][n:],
        alpha=d.alpha,
        temperature=d.temperature,
        train_features=out["features"][:n] if features else None,
        transfer_features=out["features"][n:] if features else None,
        feature_weight=d.feature_weight,
        recipe=(
            f"alpha {d.alpha}, temperature {d.temperature}, over {n:,} training sentences, {len(texts) - len(copies):,} unlabelled "
            f"sentences and {len(copies):,} perturbed copies" + (f", sentence vectors matched at weight {d.feature_weight}" if features else "")
        ),
    )


def _teacher_name(cfg: DictConfig) -> str | None:
    """The teacher folder and, when stance trained it, the encoder it was fine-tuned from."""
    if not cfg.distill.teacher:
        return None
    folder = Path(cfg.distill.teacher).resolve()
    saved = folder.parent / "config.yaml"
    if saved.exists():
        base = OmegaConf.load(saved).get("model", {}).get("name_or_path")
        if base:
            return f"{folder} (fine-tuned from {base})"
    return str(folder)


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    out = {k: metrics[k] for k in ("n", "accuracy", "balanced_accuracy", "macro_f1", "weighted_f1", "mcc", "roc_auc", "pr_auc", "log_loss", "brier")}
    out["macro_f1_ci"] = metrics["ci"]["macro_f1"]
    out["accuracy_ci"] = metrics["ci"]["accuracy"]
    out["ece_before"] = metrics["calibration"]["ece_before"]
    out["ece_after"] = metrics["calibration"]["ece_after"]
    if "hard_cases" in metrics:
        out["hard_cases_macro_f1"] = metrics["hard_cases"]["macro_f1"]
    for name, b in metrics.get("baselines", {}).items():
        out[f"{name}_macro_f1"] = b["macro_f1"]
        if b.get("hard_cases_macro_f1") is not None:
            out[f"{name}_hard_cases_macro_f1"] = b["hard_cases_macro_f1"]
    return out


def _run_dir(cfg: DictConfig, run_root: Path) -> Path:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from stance.runs.folders import run_name

    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        return Path(HydraConfig.get().runtime.output_dir) / "run"
    return run_root / "runs" / run_name(cfg.name, cfg.seed)


def _wait_for_rank_zero() -> None:
    """Other ranks wait until rank 0 has prepared the data."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if _cuda() else "gloo")
    dist.barrier()


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _hydra_main(cfg: DictConfig) -> float | None:
    """Hydra returns this value to sweepers: validation macro-F1 of the best epoch."""
    return train(cfg).get("validation_macro_f1")


main = run_hydra_app(_hydra_main)

if __name__ == "__main__":
    main()
