"""`stance-annotate select|import`: active learning on an unlabelled archive, and labels back into a file stance-prepare reads."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from stance.cli import announce_model, run_hydra_app
from stance.config import options
from stance.errors import StanceError

ACTIONS = ("select", "import")


def annotate(cfg: DictConfig) -> dict[str, Any]:
    """Run `cfg.annotate.action`; return what was written."""
    if cfg.annotate.action not in ACTIONS:
        fix = "run stance-annotate select or stance-annotate import"
        raise StanceError(f"unknown action '{cfg.annotate.action}'", where="annotate.action", fix=fix)
    return select_tasks(cfg) if cfg.annotate.action == "select" else import_labels(cfg)


def select_tasks(cfg: DictConfig) -> dict[str, Any]:
    """Pick the next `annotate.n` sentences of the pool and write them as tasks."""
    from stance.annotation.embedding import load_encoder, sentence_embeddings
    from stance.annotation.pool import read_pool
    from stance.annotation.selection import STRATEGIES, select
    from stance.annotation.tasks import read_labelled_file, write_tasks
    from stance.data.cleaning import BoilerplateFilter, dedup_key, removed_note
    from stance.runs.atomic import atomic_directory
    from stance.runs.folders import timestamped

    a, data = options(cfg, "annotate"), options(cfg, "data")
    if a.strategy not in STRATEGIES:
        raise StanceError(f"unknown strategy '{a.strategy}'", where="annotate.strategy", fix=f"use one of {', '.join(STRATEGIES)}")
    if a.n < 1:
        raise StanceError(f"annotate.n={a.n} selects nothing", where="annotate.n", fix="ask for at least one sentence, e.g. annotate.n=50")
    if not a.inputs:
        raise StanceError("no inputs given", where="annotate.inputs", fix="set annotate.inputs=[folder_of_articles] or [statements.csv]")
    cleaning = BoilerplateFilter(data.boilerplate_patterns)
    pool = read_pool(list(a.inputs), data.columns, data.exclude, cleaning, data.min_chars)
    if note := removed_note(cleaning.removed, "never offered as tasks"):
        print(note, file=sys.stderr)
    labelled = read_labelled_file(Path(a.labelled))
    done_ids, done_texts = {r["id"] for r in labelled}, {dedup_key(r["text"]) for r in labelled}
    pool = [c for c in pool if c.id not in done_ids and dedup_key(c.text) not in done_texts]
    if not pool:
        raise StanceError(
            "nothing left to select: every sentence of the inputs is already labelled",
            where=str(a.labelled),
            fix="add unlabelled inputs to annotate.inputs, or train on what you have",
        )
    texts = [c.text for c in pool]
    model_dir = Path(cfg.model_dir).expanduser()
    proba = guesses = None
    labels = tuple(data.labels) + tuple(data.drop_labels)
    if model_dir.is_dir():
        from stance.inference.classifier import StanceClassifier

        clf = StanceClassifier.from_pretrained(model_dir, batch_size=cfg.predict.batch_size)
        clf.progress = True
        predictions = clf.predict_sentences(texts, [c.before for c in pool])
        proba = np.array([[p.probabilities[n] for n in clf.labels] for p in predictions])
        # the guess shown to annotators is the model's own call, "neutral" for a sentence it says takes no side
        guesses = [(p.label, p.confidence) for p in predictions]
        encoder, tokenizer = clf.backend.model.base_model, clf.tokenizer
        mode = f"uncertainty ({a.strategy}) of {model_dir}"
    else:
        from stance.modeling.loading import resolve_model_source

        encoder, tokenizer = load_encoder(resolve_model_source(cfg.model.name_or_path))
        mode = f"diverse seed sample (no trained model at {model_dir}; embeddings of {cfg.model.name_or_path})"
    embeddings = sentence_embeddings(encoder, tokenizer, texts, cfg.predict.batch_size)
    picks = select(a.n, cfg.seed, embeddings, proba, a.strategy if proba is not None else "margin_diverse", a.pool_factor)
    out_dir = Path(a.output_dir) if a.output_dir else timestamped(Path(cfg.output_root) / "annotate")
    with atomic_directory(out_dir) as tmp:
        written = write_tasks(tmp, [pool[i] for i in picks], [guesses[i] if guesses else None for i in picks], labels)
    paths = {k: str(out_dir / p.name) for k, p in written.items()}
    print(f"{len(picks)} of {len(pool)} unlabelled sentences selected by {mode}")
    print(f"label them in: {paths['csv']} (column 'label': {', '.join(labels)})")
    print(f"or in Label Studio: import {paths['labelstudio']} with the labelling config {paths['labelstudio_config']}")
    print(f"then: stance-annotate import annotate.tasks={paths['csv']}")
    if proba is not None:
        announce_model(model_dir)
    return {"selected": [pool[i].id for i in picks], "pool": len(pool), **paths}


def import_labels(cfg: DictConfig) -> dict[str, Any]:
    """Validate the labelled tasks and append the new ones to `annotate.labelled` (idempotent)."""
    from stance.annotation.tasks import merge, read_labelled_file, read_labelled_tasks
    from stance.data.labels import LabelScheme
    from stance.runs.atomic import atomic_write_text

    a = options(cfg, "annotate")
    if not a.tasks:
        fix = "set annotate.tasks=<labelled tasks.csv or Label Studio export .json>"
        raise StanceError("no labelled tasks given", where="annotate.tasks", fix=fix)
    base = options(cfg, "data").scheme
    scheme = LabelScheme(base.names + base.drop, (), base.synonyms)
    imported = read_labelled_tasks(Path(a.tasks), scheme)
    rows = imported.rows
    if imported.encoding != "utf-8":
        print(f"stance: note: {a.tasks} is not UTF-8; it was read as {imported.encoding} (re-save it as UTF-8 to be sure)", file=sys.stderr)
    for c in imported.conflicts:
        votes = "; ".join(f"{who}: {label}" for who, label in c["labels"])
        print(f"stance: conflict: '{c['text'][:70]}' was labelled differently in this export ({votes}); not imported", file=sys.stderr)
    labelled = Path(a.labelled)
    existing = read_labelled_file(labelled)
    added, duplicates, conflicts = merge(existing, rows)
    if added:
        import json

        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [*existing, *added])
        atomic_write_text(labelled, text)
    print(f"{len(rows)} labelled rows read from {a.tasks}: {len(added)} added to {labelled}, {duplicates} already there")
    for c in conflicts:
        print(f"stance: conflict: '{c['text'][:70]}' was labelled {c['earlier']} before and {c['new']} now; kept {c['earlier']}", file=sys.stderr)
    if added:
        print(f"train on them: stance-train data.inputs=[<your labelled data>,{labelled}]")
    return {
        "read": len(rows),
        "added": len(added),
        "duplicates": duplicates,
        "conflicts": conflicts,
        "export_conflicts": imported.conflicts,
        "encoding": imported.encoding,
        "labelled": str(labelled),
    }


_app = run_hydra_app(annotate)


def main() -> Any:
    """`stance-annotate select ...` / `stance-annotate import ...`: the first word sets annotate.action."""
    if len(sys.argv) > 1 and sys.argv[1] in ACTIONS:
        sys.argv[1] = f"annotate.action={sys.argv[1]}"
    return _app()


if __name__ == "__main__":
    main()
