"""`stance-predict`: label sentences from a table, one article or a folder of them, or stdin.

stance-predict predict.input=statements.csv predict.text_column=body    # other columns pass through
stance-predict predict.input=article.txt                                  # one article: cleaned, segmented, summarised
stance-predict predict.input=sentences.txt predict.lines=true             # one sentence a line
cat sentences.txt | stance-predict predict.input=-                       # stdin: one sentence a line
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from stance.cli import announce_model, run_hydra_app
from stance.config import options
from stance.errors import StanceError


def predict(cfg: DictConfig) -> dict[str, Any]:
    """Score `cfg.predict.input` with `cfg.model_dir`; return the records written and where."""
    from stance.data.cleaning import removed_note
    from stance.inference.classifier import StanceClassifier
    from stance.inference.scoring import read_inputs, render, score
    from stance.runs.atomic import atomic_write_text

    p = options(cfg, "predict")
    if p.input is None:
        raise StanceError("no input given", where="predict.input", fix="add predict.input=<file, folder or ->")
    if p.engine == "ray":
        return _predict_on_ray(cfg, p)
    fmt = Path(p.output).suffix.lstrip(".").lower() if p.output else p.format
    if fmt not in ("jsonl", "csv"):
        raise StanceError(f"unknown output format '{fmt}'", where="predict.output" if p.output else "predict.format", fix="write .jsonl or .csv")
    clf = StanceClassifier.from_pretrained(
        cfg.model_dir,
        backend=p.backend,
        batch_size=p.batch_size,
        min_confidence=p.min_confidence,
        allow_pickle_weights=cfg.model.allow_pickle_weights,
        onnx_rescore=p.onnx_rescore,
    )
    clf.progress = True
    inputs = read_inputs(p.input, p.text_column, p.lines)
    if not inputs.sentences and not inputs.articles:
        raise StanceError("input holds no sentences", where=str(p.input), fix="give at least one non-empty line or row")
    if inputs.renamed:
        names = ", ".join(f"{n} -> input_{n}" for n in inputs.renamed)
        print(f"stance: note: input column(s) renamed so stance-predict's own fields do not overwrite them: {names}", file=sys.stderr)
    records = score(clf, inputs, explain=p.explain)
    text = render(records, fmt, clf.labels)
    if p.output:
        atomic_write_text(p.output, text)
        sentences = sum(r["type"] == "sentence" for r in records)
        print(f"{sentences} sentence(s), {len(inputs.articles)} article(s) -> {p.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if note := removed_note(sum((Counter(r["removed"]) for r in records if r["type"] == "document"), Counter())):
        print(note, file=sys.stderr)
    announce_model(cfg.model_dir)
    return {"records": records, "output": p.output}


def _predict_on_ray(cfg: DictConfig, p: Any) -> dict[str, Any]:
    """An archive on Ray Data: Parquet parts in `predict.output` (see `stance.inference.archive`)."""
    from stance.inference.archive import report, score_archive

    if not p.output:
        raise StanceError("predict.engine=ray writes Parquet parts into a folder", where="predict.output", fix="set predict.output=<folder>")
    if p.explain:
        raise StanceError("explanations are not computed on Ray", where="predict.explain", fix="set predict.explain=false (explain a sample locally)")
    result = score_archive(
        cfg.model_dir,
        [p.input] if isinstance(p.input, str) else list(p.input),
        p.output,
        p.ray,
        text_column=p.text_column,
        backend=p.backend,
        batch_size=p.batch_size,
        min_confidence=p.min_confidence,
        onnx_rescore=p.onnx_rescore,
        on_error=p.on_error,
        allow_pickle_weights=cfg.model.allow_pickle_weights,
    )
    report(result)
    announce_model(cfg.model_dir)
    return {
        "output": str(result.output),
        "parts": result.written,
        "kept": result.skipped_done,
        "sentences": result.sentences,
        "failed": result.failed,
        "removed": dict(result.removed),
    }


main = run_hydra_app(predict)

if __name__ == "__main__":
    main()
