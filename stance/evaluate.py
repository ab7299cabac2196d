"""`stance-evaluate`: score a trained model on a prepared split or on external labelled files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from stance.cli import announce_model, run_hydra_app
from stance.config import options
from stance.errors import StanceError


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Evaluate `cfg.model_dir`; return the metrics and the report folder.

    When `data.inputs` are the inputs the prepared dataset was made from, the configured split
    (`eval.split`) is scored and the train split feeds the baselines. Any other inputs are
    external data: all of their rows are scored, and baselines train on the prepared train split
    when one exists. The running-text yardstick (`eval.running`) is scored too, into `running/` of
    the report folder, and refused if the prepared train split holds any of its sentences.
    """
    from stance.data.dataset import is_current, load_prepared
    from stance.evaluation.evaluator import evaluate_classifier, evaluate_documents
    from stance.evaluation.metrics import ci_text
    from stance.evaluation.rows import LabelledRows, held_out_running, read_labelled
    from stance.evaluation.running import evaluate_running, summary_line
    from stance.inference.classifier import StanceClassifier
    from stance.runs.atomic import atomic_directory
    from stance.runs.folders import timestamped

    data, evaluation = options(cfg, "data"), options(cfg, "eval")
    model_dir = Path(cfg.model_dir).expanduser()
    clf = StanceClassifier.from_pretrained(
        model_dir, backend=cfg.predict.backend, batch_size=evaluation.batch_size, allow_pickle_weights=cfg.model.allow_pickle_weights
    )
    clf.progress = True
    train_rows = None
    if is_current(data):
        dataset = load_prepared(data.prepared_dir)
        _check_labels(dataset, clf, data.prepared_dir)
        if evaluation.split not in dataset or evaluation.split == "unlabelled":
            labelled = ", ".join(s for s in dataset if s != "unlabelled")
            raise StanceError(f"no labelled split '{evaluation.split}'", where=str(data.prepared_dir), fix=f"use eval.split= one of {labelled}")
        rows = LabelledRows.from_dataset(dataset[evaluation.split])
        train_rows = LabelledRows.from_dataset(dataset["train"])
        tag = evaluation.split
    else:
        rows = read_labelled(data, list(data.inputs), clf.labels)
        tag = "external"
        if (data.prepared_dir / "dataset_dict.json").exists():
            train_rows = LabelledRows.from_dataset(load_prepared(data.prepared_dir)["train"])
    out_dir = Path(evaluation.output_dir) if evaluation.output_dir else timestamped(model_dir.resolve().parent, f"eval-{tag}")
    running = held_out_running(evaluation.running, train_rows.texts if train_rows else []) if evaluation.running else None
    # the raw articles are also lines of the running-text yardstick: their sentences are scored once
    with clf.remembering(), atomic_directory(out_dir) as tmp:
        documents = evaluate_documents(clf, Path(evaluation.raw_articles)) if evaluation.raw_articles else None
        metrics = evaluate_classifier(clf, rows, tmp, evaluation, train_rows, title=tag, documents=documents, seed=cfg.seed)
        running_metrics = (
            evaluate_running(clf, running, tmp / "running", cfg.seed, evaluation.bootstrap_resamples, evaluation.confidence_level)
            if running is not None
            else None
        )
    interval = ci_text(metrics["ci"]["macro_f1"], metrics["n"], level=metrics["ci"]["level"])
    print(f"{tag}: {metrics['n']} sentences, macro-F1 {metrics['macro_f1']:.3f} ({interval}), accuracy {metrics['accuracy']:.3f}")
    if "no_side" in metrics:
        ns = metrics["no_side"]
        side = (
            ""
            if ns["no_side_given_a_side"] is None
            else f"; no-side sentences given a side {ns['no_side_given_a_side']:.1%} of {ns['no_side_sentences']}"
        )
        if ns["macro_f1"] is None:
            print(
                f"{tag}, three-way: no sentence of the data takes no side, so no three-way macro-F1; "
                f"{ns['side_taken_as_no_side']:.1%} of the {ns['n']} sentences that take a side were called neutral"
            )
        else:
            print(f"{tag}, three-way: macro-F1 {ns['macro_f1']:.3f} over {ns['n']} sentences{side}")
    if documents and documents["documents"]:
        print(f"documents: {documents['documents']} articles, document-level accuracy {documents['accuracy']:.3f}")
    if running_metrics is not None:
        print(summary_line(running_metrics))
    print(f"report: {out_dir / 'report.md'}" + (f"; running text: {out_dir / 'running' / 'report.md'}" if running_metrics is not None else ""))
    announce_model(model_dir)
    return {"metrics": metrics, "running": running_metrics, "report": str(out_dir / "report.md"), "output_dir": str(out_dir)}


def _check_labels(dataset: Any, clf: Any, where: Path) -> None:
    data_labels = tuple(dataset["train"].features["label"].names)
    if set(data_labels) - set(clf.labels):
        raise StanceError(
            f"data labels ({', '.join(data_labels)}) differ from the model's ({', '.join(clf.labels)})",
            where=str(where),
            fix="evaluate with the data config the model was trained on (e.g. experiment=binary for a binary model)",
        )


main = run_hydra_app(evaluate)

if __name__ == "__main__":
    main()
