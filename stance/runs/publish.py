"""Turn a fine-tuned model into a finished run folder: calibrate, save, evaluate, describe, and point `latest` at it."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stance.data.dataset import DataOptions
from stance.evaluation.evaluator import EvalOptions
from stance.evaluation.rows import LabelledRows
from stance.modeling.fine_tuning import TrainOptions, TrainOutcome
from stance.modeling.loading import ModelOptions


@dataclass
class TrainResult:
    """What a finished run left behind: its folder, the model folder, the primary report and the run summary."""

    run_dir: Path
    model_dir: Path
    report: Path
    metrics: dict[str, Any]  # the run summary, as written to <run_dir>/metrics.json (stance.runs.summary)
    validation_macro_f1: float | None  # of the best epoch: what a hyperparameter search maximises


def publish_run(
    outcome: TrainOutcome,
    dataset: Any,
    labels: tuple[str, ...],
    *,
    data: DataOptions,
    model: ModelOptions,
    trainer: TrainOptions,
    evaluation: EvalOptions,
    run_dir: Path,
    run_root: Path,
    checkpoint_dir: Path,
    source: str,
    name: str,
    seed: int,
    debug_run: str | None = None,
    teacher: str | None = None,
    distill_recipe: str | None = None,
    real_dev: LabelledRows | None = None,
    running: Any = None,
    config: dict[str, Any] | None = None,
) -> TrainResult:
    """Write `run_dir` atomically (model folder, evaluation reports, metrics, config, provenance) and mark it latest.

    The temperature is fitted on the validation split, whose scores also give the report's
    validation calibration figures: the validation split is scored once.
    """
    import yaml

    from stance.evaluation.evaluator import evaluate_classifier, evaluate_documents
    from stance.evaluation.running import evaluate_running
    from stance.inference.backends import TorchBackend
    from stance.inference.classifier import StanceClassifier
    from stance.modeling.calibration import calibrate, fit_no_side_rule, fit_side_temperature
    from stance.modeling.settings import write_settings
    from stance.runs.atomic import atomic_directory
    from stance.runs.folders import mark_latest, provenance
    from stance.runs.model_card import write_model_card
    from stance.runs.summary import headline, headline_lines, running_headline

    clf = StanceClassifier(
        TorchBackend(outcome.model.eval()),
        outcome.tokenizer,
        labels,
        max_length=model.max_length,
        batch_size=evaluation.batch_size,
        context=model.context,
        context_tokens=model.context_budget,
    )
    calibration: dict[str, Any] = {"temperature": 1.0}
    if "validation" in dataset and len(dataset["validation"]):
        validation = LabelledRows.from_dataset(dataset["validation"])
        logits = clf.logits(validation.texts, validation.previous)
        gold = validation.gold_ids(labels)
        if debug_run is None:  # a debug run checks the plumbing with a few steps of a random model: it is not meant to learn
            refuse_untrained(logits, gold, labels, run_root, model.context)
        calibration = calibrate(logits, gold, evaluation.calibration_bins)
        clf.temperature = calibration["temperature"]
        origins = [str(o or "") for o in validation.meta.get("origin", [""] * len(validation.texts))]
        calibration.update(fit_side_temperature(logits, gold, labels, origins, tuple(evaluation.calibrate_on), evaluation.calibration_bins))
        clf.side_temperature = calibration["side_temperature"]
        if "neutral" in labels:
            # the same validation scores decide when a sentence takes no side (three-way macro-F1 at its best)
            calibration.update(fit_no_side_rule(logits, gold, labels, clf.temperature, origins, tuple(evaluation.calibrate_on)))
            clf.no_side_threshold = calibration["no_side_threshold"]
    stats = json.loads((data.prepared_dir / "stats.json").read_text(encoding="utf-8"))
    split = evaluation.split if evaluation.split in dataset and evaluation.split != "unlabelled" else "validation"
    train_rows = LabelledRows.from_dataset(dataset["train"])

    # the raw articles are also lines of the running-text yardstick: within the block their sentences are scored once
    with clf.remembering(), atomic_directory(run_dir) as tmp:
        model_dir = tmp / "model"
        outcome.model.save_pretrained(model_dir, safe_serialization=True)
        outcome.tokenizer.save_pretrained(model_dir)
        settings = {
            "temperature": clf.temperature,
            "side_temperature": clf.side_temperature,
            "max_length": model.max_length,
            "labels": list(labels),
            "min_confidence": None,
            "debug_run": debug_run,
            "teacher": teacher and str(Path(teacher).resolve()),
            "no_side_threshold": clf.no_side_threshold,
            "context": model.context,
            "context_tokens": model.context_budget,
        }
        write_settings(model_dir, settings)

        def report(rows: LabelledRows, folder: str, title: str) -> dict[str, Any]:
            return evaluate_classifier(clf, rows, tmp / folder, evaluation, train_rows, title=title, seed=seed, validation_calibration=calibration)

        documents = evaluate_documents(clf, Path(evaluation.raw_articles)) if evaluation.raw_articles else None
        primary_metrics = evaluate_classifier(
            clf,
            LabelledRows.from_dataset(dataset[split]),
            tmp / f"eval-{split}",
            evaluation,
            train_rows,
            split,
            documents,
            seed=seed,
            validation_calibration=calibration,
        )
        evaluations = {split: headline(primary_metrics)}
        if documents is not None:
            evaluations["documents"] = {"n": documents["documents"], "accuracy": documents["accuracy"]}
        if real_dev is not None:
            evaluations["real_dev"] = headline(report(real_dev, "eval-realdev", "real-text development set"))
        if running is not None:
            scored = evaluate_running(clf, running, tmp / "eval-running", seed, evaluation.bootstrap_resamples, evaluation.confidence_level)
            evaluations["running"] = running_headline(scored)
        summary = {
            "primary": split,
            "evaluations": evaluations,
            "validation_best_macro_f1": outcome.best_metric,
            "calibration": calibration,
            "train": {
                "steps": outcome.steps,
                "seconds": round(outcome.train_seconds, 2),
                "sentences": len(dataset["train"]),
                "world_size": outcome.world_size,
                "global_batch_size": outcome.global_batch_size,
                "resumed_from": outcome.resumed_from,
            },
            "history": outcome.history,
            "dataset": {"path": str(data.prepared_dir), "fingerprint": stats["fingerprint"], "splits": stats["splits"]},
        }
        write_model_card(
            model_dir,
            name=name,
            base_model=model.name_or_path,
            seed=seed,
            learning_rate=trainer.learning_rate,
            debug_run=debug_run,
            teacher=_teacher_name(teacher),
            distill_recipe=distill_recipe,
            labels=labels,
            summary=summary,
            stats=stats,
            settings=settings,
        )
        if (checkpoint_dir / "runs").is_dir():
            shutil.copytree(checkpoint_dir / "runs", tmp / "tensorboard")
        (tmp / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        (tmp / "config.yaml").write_text(yaml.safe_dump(config or {}, sort_keys=False, allow_unicode=True), encoding="utf-8")
        (tmp / "provenance.json").write_text(
            json.dumps(provenance({"dataset_fingerprint": stats["fingerprint"], "model_source": source}), indent=2) + "\n", encoding="utf-8"
        )
    mark_latest(run_root, run_dir)
    if not trainer.keep_checkpoints:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)

    primary_report = run_dir / f"eval-{split}" / "report.md"
    for line in headline_lines(summary):
        print(line)
    print(f"model:  {run_dir / 'model'}")
    print(f"report: {primary_report}")
    return TrainResult(run_dir, run_dir / "model", primary_report, summary, outcome.best_metric)


def _teacher_name(teacher: str | None) -> str | None:
    """The teacher folder and, when stance trained it, the encoder it was fine-tuned from."""
    if not teacher:
        return None
    folder = Path(teacher).resolve()
    saved = folder.parent / "config.yaml"
    if saved.exists():
        import yaml

        base = ((yaml.safe_load(saved.read_text(encoding="utf-8")) or {}).get("model") or {}).get("name_or_path")
        if base:
            return f"{folder} (fine-tuned from {base})"
    return str(folder)


def refuse_untrained(logits: np.ndarray, gold: np.ndarray, labels: tuple[str, ...], run_root: Path, context: str = "none") -> None:
    """Stop before publishing a model that learned nothing: the same answer for every validation row, no better than one label for all.

    Fine-tuning sometimes never leaves its start (an unlucky seed: the loss stays at log k and every
    sentence gets the same answer). Such a model would otherwise be published as `latest`, where
    `stance-predict` and a distillation teacher would take it up, with only its report to tell.
    Checked from validation rows alone, when there are enough of them and two labels at least. With
    `context` (the model reads the sentence before), the fix names the rate at which such runs trained.
    """
    from stance.errors import StanceError
    from stance.evaluation.metrics import constant_macro_f1, fast_macro_f1, learned_nothing, probability_spread

    if not learned_nothing(logits, gold):
        return
    # the figures the message names (a refused run only)
    gold, answers = np.asarray(gold), np.asarray(logits).argmax(axis=1)
    score, spread, constant_score = fast_macro_f1(gold, answers, len(labels)), probability_spread(logits), constant_macro_f1(gold, len(labels))
    commonest = int(np.bincount(answers, minlength=len(labels)).argmax())
    share = float(np.mean(answers == commonest))
    raise StanceError(
        f"the model did not learn: it gives the {len(gold)} validation sentences nearly the same probabilities (largest std {spread:.4f}), "
        f"answers '{labels[commonest]}' for {share:.0%} of them and scores macro-F1 {score:.3f}, no better than giving every sentence "
        f"one label (at best {constant_score:.3f}); "
        f"nothing was published and {run_root / 'latest'} is unchanged",
        where="training",
        fix=(
            # measured: at 6e-5 two of five runs with context never left their start, at 4e-5 four of four trained
            "train at a lower trainer.learning_rate (experiment=context uses 4e-5: every context run measured at that rate trained) "
            "or with another seed (e.g. seed=7)"
            if context != "none"
            else "train again with another seed (e.g. seed=7) or a lower trainer.learning_rate (e.g. 3e-5)"
        ),
    )
