"""`stance-predict`: label sentences from a file, a folder of raw articles or stdin."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from stance.cli import announce_model, run_hydra_app
from stance.errors import StanceError


def read_inputs(source: str, text_column: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """(sentence records, articles) from a path or `-` for stdin.

    A `.txt` file or stdin holds one sentence a line; `.csv`/`.jsonl` hold a text column; a folder
    holds raw articles (`.txt`, one article per file).
    """
    from stance.data.readers import read_text_file

    if source == "-":
        lines = sys.stdin.read().splitlines()
        return [{"id": i, "text": t.strip()} for i, t in enumerate(lines, start=1) if t.strip()], []
    path = Path(source).expanduser()
    if not path.exists():
        raise StanceError("no such file or folder", where=str(path), fix="set predict.input= to a file, a folder of articles or -")
    if path.is_dir():
        files = sorted(p for p in path.glob("*.txt") if p.is_file())
        if not files:
            raise StanceError("folder holds no .txt articles", where=str(path), fix="put one article per .txt file in it")
        return [], [(p.stem, read_text_file(p)) for p in files]
    suffix = path.suffix.lower()
    if suffix == ".txt":
        lines = read_text_file(path).split("\n")
        return [{"id": i, "text": t.strip()} for i, t in enumerate(lines, start=1) if t.strip()], []
    if suffix in (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet"):
        from stance.data.readers import Columns, read_source

        columns = Columns(text=text_column, label=text_column)
        records = []
        for row in read_source(path, columns, ()):
            if not isinstance(row.text, str) or not row.text.strip():
                raise StanceError(f"field '{text_column}' is empty", where=f"{path} row {row.row}", fix="fill it in or delete the row")
            records.append({"id": row.row, "text": row.text.strip(), "doc_id": row.doc_id})
        return records, []
    raise StanceError(f"unsupported file type '{suffix}'", where=str(path), fix="use .txt, .csv, .jsonl, .parquet, a folder or -")


def predict(cfg: DictConfig) -> dict[str, Any]:
    """Score `cfg.predict.input` with `cfg.model_dir`; return the records written and where."""
    from stance.inference.classifier import StanceClassifier
    from stance.runs.atomic import atomic_write_text

    p = cfg.predict
    if p.input is None:
        raise StanceError("no input given", where="predict.input", fix="add predict.input=<file, folder or ->")
    clf = StanceClassifier.from_pretrained(
        cfg.model_dir,
        backend=p.backend,
        batch_size=p.batch_size,
        min_confidence=p.min_confidence,
        allow_pickle_weights=cfg.model.allow_pickle_weights,
        onnx_rescore=p.onnx_rescore,
    )
    clf.progress = True
    sentences, articles = read_inputs(p.input, p.text_column)
    if not sentences and not articles:
        raise StanceError("input holds no sentences", where=str(p.input), fix="give at least one non-empty line or row")
    records: list[dict[str, Any]] = []
    if sentences:
        for rec, pred in zip(sentences, clf.predict_sentences([r["text"] for r in sentences])):
            records.append({"type": "sentence", **rec, "label": pred.label, "confidence": round(pred.confidence, 6), **_probs(pred)})
    from tqdm.auto import tqdm

    for doc_id, text in tqdm(articles, desc="articles", unit="article", disable=None if len(articles) > 3 else True):
        summary = clf.predict_document(text)
        for i, pred in enumerate(summary.sentences, start=1):
            records.append(
                {
                    "type": "sentence",
                    "doc_id": doc_id,
                    "id": i,
                    "text": pred.text,
                    "label": pred.label,
                    "confidence": round(pred.confidence, 6),
                    **_probs(pred),
                }
            )
        records.append(
            {
                "type": "document",
                "doc_id": doc_id,
                "label": summary.stance,
                "sentences": len(summary.sentences),
                **{f"share_{k}": round(v, 6) for k, v in summary.shares.items()},
                "strongest": {k: [s.text for s in v] for k, v in summary.strongest.items()},
            }
        )
    if p.explain:
        scored = [r for r in records if r["type"] == "sentence"]
        for record, explanation in zip(scored, clf.explain([r["text"] for r in scored])):
            record["top_words"] = explanation.top_words(3)
    fmt = Path(p.output).suffix.lstrip(".").lower() if p.output else p.format
    if fmt not in ("jsonl", "csv"):
        raise StanceError(f"unknown output format '{fmt}'", where="predict.output", fix="write to a .jsonl or .csv file")
    text = _to_jsonl(records) if fmt == "jsonl" else _to_csv(records, clf.labels)
    if p.output:
        atomic_write_text(p.output, text)
        print(f"{sum(r['type'] == 'sentence' for r in records)} sentences, {len(articles)} articles -> {p.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    announce_model(cfg.model_dir)
    return {"records": records, "output": p.output}


def _probs(pred: Any) -> dict[str, float]:
    return {f"p_{k}": round(v, 6) for k, v in pred.probabilities.items()}


def _to_jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _to_csv(records: list[dict[str, Any]], labels: tuple[str, ...]) -> str:
    fields = ["type", "doc_id", "id", "text", "label", "confidence", *[f"p_{n}" for n in labels]]
    if any("top_words" in r for r in records):
        fields.append("top_words")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({**r, "top_words": "; ".join(r.get("top_words", []))} for r in records if r["type"] == "sentence")
    docs = [r for r in records if r["type"] == "document"]
    if docs:
        # documents go last, one row each, so the file stays a single rectangular table
        writer.writerows({"type": "document", "doc_id": d["doc_id"], "label": d["label"]} for d in docs)
    return buffer.getvalue()


main = run_hydra_app(predict)

if __name__ == "__main__":
    main()
